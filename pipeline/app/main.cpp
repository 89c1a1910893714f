// The nightlights executable: everything lives in the library; this only dispatches.
#include "pipeline/app/cli.hpp"
#include "pipeline/app/run_environment.hpp"
#include "pipeline/engine/cluster.hpp"

int main(int argc, char** argv) {
  nl::keep_freed_memory();
  nl::cluster::init(&argc, &argv, nl::launched_by_mpi());
  const int code = nl::nightlights_main(argc, argv);
  // A rank that left the common control flow must not leave the others waiting in a collective;
  // a run that ended in order (even with failed releases) finishes together.
  if (nl::cluster::broken() && nl::cluster::size() > 1)
    nl::cluster::abort_job("nightlights: rank " + std::to_string(nl::cluster::rank()) + " ended with code " +
                               std::to_string(code),
                           code);
  nl::cluster::barrier();
  nl::cluster::finalize();
  return code;
}
