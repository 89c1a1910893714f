// The `nightlights` launcher: GLIBC_TUNABLES gains malloc's huge pages unless the user chose
// them, the user's other tunables stay, and the program proper is found beside the launcher (a
// build tree) or in ../libexec/nightlights (an installation), with the arguments untouched; a
// missing program is a clear error, not a silent fall-back. Under an MPI launcher it is the MPI
// build; the plain program refuses to be one of several ranks.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pipeline/app/launcher_environment.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nl::testsupport::CommandResult;
using nl::testsupport::run;
using nl::testsupport::temp_dir;

namespace {

std::string with_huge_pages(const char* existing, size_t size = 4096) {
  std::string out(size, '\0');
  const size_t n = nl::tunables_with_huge_pages(existing, out.data(), size);
  return n ? out.substr(0, n) : "(unchanged)";
}

// A stand-in for the program proper: prints what it was started with.
void write_echo_program(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "#!/bin/sh\necho \"tunables=$GLIBC_TUNABLES args=$*\"\n";
  fs::permissions(path, fs::perms::owner_all);
}

// `env` and the launcher quoted, then `args`. (Appended, not `"'" + path + …`: GCC 12 warns
// falsely, -Wrestrict, on that form.)
std::string command(const std::string& env, const fs::path& launcher, const std::string& args) {
  std::string c = env;
  c += " '";
  c += launcher.string();
  c += "' ";
  c += args;
  return c;
}

}  // namespace

TEST_CASE("launcher: malloc's huge pages are added to GLIBC_TUNABLES, the user's choice stands") {
  CHECK(with_huge_pages(nullptr) == "glibc.malloc.hugetlb=1");
  CHECK(with_huge_pages("") == "glibc.malloc.hugetlb=1");
  CHECK(with_huge_pages("glibc.malloc.arena_max=2") == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
  CHECK(with_huge_pages("glibc.malloc.hugetlb=0") == "(unchanged)");
  CHECK(with_huge_pages("glibc.malloc.hugetlb=2:glibc.malloc.arena_max=2") == "(unchanged)");
  // 22 characters and the NUL need 23 bytes: one fewer and the variable is left alone.
  CHECK(with_huge_pages(nullptr, 23) == "glibc.malloc.hugetlb=1");
  CHECK(with_huge_pages(nullptr, 22) == "(unchanged)");
}

TEST_CASE("launcher: finds the program beside it or in libexec, passes everything on, fails clearly") {
  const fs::path root = temp_dir("launcher");
  const fs::path bin = root / "bin", launcher = bin / "nightlights";
  fs::create_directories(bin);
  fs::copy_file(NIGHTLIGHTS_EXE, launcher, fs::copy_options::overwrite_existing);

  SUBCASE("no program: exit 127 naming both places") {
    const CommandResult r = run(command("", launcher, "--version"));
    CHECK(r.exit_code == 127);
    CHECK(r.output.find("nightlights-program") != std::string::npos);
    CHECK(r.output.find("../libexec/nightlights/nightlights-program") != std::string::npos);
  }
  SUBCASE("installed layout: ../libexec/nightlights, arguments and the user's tunables kept") {
    write_echo_program(root / "libexec/nightlights/nightlights-program");
    const CommandResult r =
        run(command("GLIBC_TUNABLES=glibc.malloc.arena_max=2", launcher, "zonal -r 'a b.tif'"));
    CHECK(r.exit_code == 0);
    CHECK(r.output == "tunables=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1 args=zonal -r a b.tif\n");
  }
  SUBCASE("build tree: beside the launcher, preferred; a user's hugetlb=0 stands") {
    write_echo_program(root / "libexec/nightlights/nightlights-program");
    std::ofstream(bin / "nightlights-program") << "#!/bin/sh\necho \"beside tunables=$GLIBC_TUNABLES\"\n";
    fs::permissions(bin / "nightlights-program", fs::perms::owner_all);
    const CommandResult r = run(command("GLIBC_TUNABLES=glibc.malloc.hugetlb=0", launcher, ""));
    CHECK(r.exit_code == 0);
    CHECK(r.output == "beside tunables=glibc.malloc.hugetlb=0\n");
  }
  SUBCASE("under an MPI launcher the MPI build where there is one, else the plain program") {
    write_echo_program(root / "libexec/nightlights/nightlights-program");
    CHECK(run(command("PMI_RANK=0", launcher, "run")).output.rfind("tunables=", 0) == 0);
    std::ofstream(root / "libexec/nightlights/nightlights-program-mpi") << "#!/bin/sh\necho \"mpi args=$*\"\n";
    fs::permissions(root / "libexec/nightlights/nightlights-program-mpi", fs::perms::owner_all);
    for (const char* variable : {"PMI_RANK=0", "PMI_SIZE=2", "OMPI_COMM_WORLD_SIZE=2", "PMIX_RANK=1", "SLURM_PROCID=0",
                                 "MPI_LOCALNRANKS=2"}) {
      CAPTURE(variable);
      CHECK(run(command(variable, launcher, "run x")).output == "mpi args=run x\n");
    }
    CHECK(run(command("", launcher, "run x")).output.rfind("tunables=", 0) == 0);  // a plain run stays plain
  }
  SUBCASE("a program that cannot be run: exit 126 naming it") {
    fs::create_directories(bin);
    std::ofstream(bin / "nightlights-program") << "not a program\n";
    fs::permissions(bin / "nightlights-program", fs::perms::owner_read);
    const CommandResult r = run(command("", launcher, ""));
    CHECK(r.exit_code == 126);
    CHECK(r.output.find((bin / "nightlights-program").string()) != std::string::npos);
  }
  fs::remove_all(root);
}

TEST_CASE("launcher: the program without MPI refuses to be one of several ranks") {
  // Each rank would do the whole job and write the same outputs; one rank is a plain run.
  const std::string plain = (fs::path(NIGHTLIGHTS_EXE).parent_path() / "nightlights-program").string();
  const CommandResult two = run("PMI_SIZE=2 PMI_RANK=1 '" + plain + "' --version");
  CHECK(two.exit_code == 2);
  CHECK(two.output.find("one of 2 MPI ranks") != std::string::npos);
  CHECK(two.output.find("nightlights-program-mpi") != std::string::npos);
  CHECK(run("OMPI_COMM_WORLD_SIZE=3 '" + plain + "' --version").exit_code == 2);
  CHECK(run("SLURM_NTASKS=4 SLURM_PROCID=0 '" + plain + "' --version").exit_code == 0);  // a batch script's step
}
