// The `nightlights` command: a launcher that sets up the environment the program proper runs
// best in (launcher_environment.hpp), then replaces itself with it — `nightlights-program`, or
// `nightlights-program-mpi` under an MPI launcher when it was built, in its own folder (a build
// tree) or in ../libexec/nightlights/ (an installation). Arguments, the other variables, open
// files and the process id all carry over. To debug, start the program proper directly
// (gdb --args build/nightlights-program …).
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pipeline/app/launcher_environment.hpp"

namespace {

constexpr const char* kProgramPlaces[] = {"nightlights-program", "../libexec/nightlights/nightlights-program"};

// Replaces this process with FOLDER + PLACE (+ "-mpi" when `mpi`); returns only when that failed:
// 0 when it does not exist, else the launcher's exit code after saying why.
int start(const char* folder, const char* place, bool mpi, char** argv) {
  char path[2 * PATH_MAX];
  std::snprintf(path, sizeof path, "%s%s%s", folder, place, mpi ? "-mpi" : "");
  ::execv(path, argv);
  if (errno == ENOENT) return 0;
  std::fprintf(stderr, "nightlights: cannot start %s: %s\n", path, std::strerror(errno));
  return 126;
}

// The folder holding this launcher, with its trailing slash, into `out`; false if unknown.
bool own_folder(char* out, size_t size) {
  const ssize_t n = ::readlink("/proc/self/exe", out, size - 1);
  if (n <= 0) return false;
  out[n] = '\0';
  char* slash = std::strrchr(out, '/');
  if (!slash) return false;
  slash[1] = '\0';
  return true;
}

}  // namespace

int main(int, char** argv) {
  char tunables[4096];
  if (nl::tunables_with_huge_pages(std::getenv("GLIBC_TUNABLES"), tunables, sizeof tunables) > 0)
    ::setenv("GLIBC_TUNABLES", tunables, 1);
  char folder[PATH_MAX];
  if (!own_folder(folder, sizeof folder)) {
    std::fprintf(stderr, "nightlights: cannot tell which folder this launcher is in (/proc/self/exe: %s)\n",
                 std::strerror(errno));
    return 127;
  }
  // Under an MPI launcher the MPI build, where it was built; else (and without one) the plain
  // program, which refuses to run as one of several ranks.
  if (nl::started_by_mpi_launcher())
    for (const char* place : kProgramPlaces)
      if (const int failed = start(folder, place, true, argv)) return failed;
  for (const char* place : kProgramPlaces)
    if (const int failed = start(folder, place, false, argv)) return failed;
  std::fprintf(stderr, "nightlights: the program proper is missing: neither %s%s nor %s%s exists (rebuild or reinstall)\n",
               folder, kProgramPlaces[0], folder, kProgramPlaces[1]);
  return 127;
}
