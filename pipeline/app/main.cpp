// The nightlights executable: everything lives in the library; this only dispatches.
#include <unistd.h>

#include <cstdio>

#include "pipeline/app/cli.hpp"
#include "pipeline/app/launcher_environment.hpp"
#include "pipeline/app/run_environment.hpp"
#include "pipeline/engine/cluster.hpp"

namespace {

// Ends the process without the teardown of static objects: by now every output is committed
// and closed, MPI is finalised, and what remains (GDAL's ~200 registered drivers, PROJ's
// database, OpenSSL, the thread pool) would only be freed page by page for the kernel to drop
// anyway: ~10 ms of every run, serial. Sanitizer builds leave normally, so that their leak check
// (an exit handler) still runs.
[[noreturn]] void leave(int code) {
  std::fflush(nullptr);  // std::cout and std::cerr are synchronised with stdio
#if defined(NIGHTLIGHTS_SANITIZED) || defined(__SANITIZE_ADDRESS__)
  std::exit(code);
#else
  ::_exit(code);
#endif
}

// A program without MPI started as one of several ranks would have each rank do the whole job
// and write the same outputs: refuse, naming the program that has MPI.
bool refuse_ranks_without_mpi() {
  const int ranks = nl::mpi_ranks_named_by_launcher();
  if (nl::cluster::built_with_mpi() || ranks <= 1) return false;
  std::fprintf(stderr,
               "nightlights: started as one of %d MPI ranks, but this program has no MPI: start `nightlights`, "
               "which runs nightlights-program-mpi under an MPI launcher (built when libmpich-dev is installed)\n",
               ranks);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (refuse_ranks_without_mpi()) leave(2);
  nl::keep_freed_memory();
  nl::cluster::init(&argc, &argv, nl::started_by_mpi_launcher());
  const int code = nl::nightlights_main(argc, argv);
  // A rank that left the common control flow must not leave the others waiting in a collective;
  // a run that ended in order (even with failed releases) finishes together.
  if (nl::cluster::broken() && nl::cluster::size() > 1)
    nl::cluster::abort_job("nightlights: rank " + std::to_string(nl::cluster::rank()) + " ended with code " +
                               std::to_string(code),
                           code);
  nl::cluster::barrier();
  nl::cluster::finalize();
  leave(code);
}
