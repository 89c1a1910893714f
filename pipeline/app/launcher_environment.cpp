// GLIBC_TUNABLES with malloc's huge pages asked for, and whether an MPI launcher started us (see
// launcher_environment.hpp). C strings only: the launcher links nothing but the C library, so
// that it costs no start-up of its own.
#include "pipeline/app/launcher_environment.hpp"

#include <cstdlib>
#include <cstring>

namespace nl {

size_t tunables_with_huge_pages(const char* existing, char* out, size_t size) {
  if (existing && std::strstr(existing, "glibc.malloc.hugetlb")) return 0;
  const size_t have = existing ? std::strlen(existing) : 0;
  const size_t separator = have > 0 ? 1 : 0;
  const size_t length = have + separator + sizeof(kHugePageTunable) - 1;
  if (length + 1 > size) return 0;
  if (have > 0) std::memcpy(out, existing, have);
  if (separator) out[have] = ':';
  std::memcpy(out + have + separator, kHugePageTunable, sizeof(kHugePageTunable));
  return length;
}

bool started_by_mpi_launcher() {
  for (const char* const* name = kMpiLauncherVariables; *name; ++name)
    if (std::getenv(*name)) return true;
  return false;
}

int mpi_ranks_named_by_launcher() {
  static constexpr const char* kSizeVariables[] = {"PMI_SIZE", "OMPI_COMM_WORLD_SIZE"};
  for (const char* name : kSizeVariables) {
    const char* v = std::getenv(name);
    if (!v || !*v) continue;
    const int ranks = std::atoi(v);
    return ranks > 1 ? ranks : 1;
  }
  return 1;
}

}  // namespace nl
