// Whole releases on MPI ranks (issue 15). With more releases to do than ranks, a batch run under
// `mpirun -n N` gives each rank whole releases instead of splitting every release's windows:
// release k of the plan's releases to do goes to rank k mod N (a fixed queue, so who did what
// depends only on the plan, and rank 0 knows whom to wait for); the rank measures it alone and
// sends rank 0 its accumulators and a description; rank 0 analyses and writes every release in
// plan order. The tables do not depend on which rank measured what (a release's sums do not
// depend on threads or ranks), and a release that fails on any rank fails alone.
#pragma once
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernels/accumulator.hpp"
#include "pipeline/app/release_input.hpp"

namespace nl {

// The steps of one release in the loop below, given by the batch run.
struct RankSteps {
  std::function<Measurement(size_t k)> measure;                       // on the owner; may throw
  // rank 0: analyse and write (may throw); `started` when rank 0 took the release up
  std::function<void(size_t k, Measurement& m, std::chrono::steady_clock::time_point started)> commit;
  std::function<void(size_t k, const std::string& reason)> fail;      // rank 0: record the failure
  std::function<bool(const std::exception& e)> stops_run;             // an interruption, not a failure
  // The rank that measures release k with whole releases; empty: release_owner (a cube's band
  // batches go to ranks as units: cube_batches.hpp).
  std::function<int(size_t k)> owner;
};

// The releases to do, 0 … count-1 in plan order. With `whole_releases`, each rank measures those
// it owns (a worker sends each to rank 0 as it is done, success or failure) and rank 0 takes them
// in order, its own and the received; otherwise every rank measures every release together (its
// windows split across ranks). Rank 0 commits or fails each. An interruption is rethrown (and,
// with whole releases, marks the job broken: MPI_Abort, as ranks may wait on each other);
// finished releases stay.
void process_releases(size_t count, bool whole_releases, const RankSteps& steps);

// True when the job has several ranks and more releases to do than ranks.
bool releases_on_ranks(size_t releases_to_do);

// The rank that measures the k-th release to do (k from 0, in plan order).
int release_owner(size_t k);

// A measured release (or, with `m` null, its failure `error`) sent to rank 0 from a worker rank:
// everything rank 0 needs to write its tables, provenance and manifest record.
void send_measurement(size_t k, const Measurement* m, const std::string& error);

// On rank 0: the k-th release from its owner; nothing, with `error` set, when it failed there.
std::optional<Measurement> receive_measurement(size_t k, int owner, std::string& error);

}  // namespace nl
