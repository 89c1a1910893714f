// Ranks of an MPI job (when built with MPI; otherwise one rank): which windows a rank reads,
// the exchange of per-window partial accumulators to rank 0 and back, and job-wide errors.
// Rank 0 alone writes files; every rank follows the same control flow.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/accumulator.hpp"

namespace nl::cluster {

// Initialises MPI when `launched` (an MPI launcher started the process; the app layer reads
// that from the environment): a plain run stays a plain process.
void init(int* argc, char*** argv, bool launched);
void finalize();
int rank();
int size();
bool is_writer();  // rank 0
bool built_with_mpi();

// Ends every rank of the job with `message` on stderr: a failure on one rank never hangs the job.
[[noreturn]] void abort_job(const std::string& message, int code);

using WindowPartials = std::vector<std::pair<uint32_t, ZoneAccumulator>>;

// After each rank filled the partials of the windows it owns (t % size == rank), rank 0 receives
// all of them. `local_error` non-empty on any rank makes every rank throw UserError with the
// lowest rank's message (collectively, so no rank waits forever).
void gather_partials(std::vector<WindowPartials>& partials, const std::string& local_error);

// Rank 0's accumulators to every rank.
void broadcast_accumulators(std::vector<ZoneAccumulator>& zones);

// An error that left this rank's control flow (the others may wait in a collective): the job
// must be aborted rather than finalised.
void mark_broken();
bool broken();

void barrier();
int64_t sum_over_ranks(int64_t value);

// Whole releases on ranks (more releases than ranks): a rank that measured a release sends rank 0
// its accumulators and a text describing the rest (error, grid, stamps…); rank 0 receives them
// by the release's position `tag` in the queue, from the rank that owns it. Point to point, so
// the other ranks go on with their next release.
void send_release(int tag, const std::string& text, const std::vector<ZoneAccumulator>& zones);
void receive_release(int from_rank, int tag, std::string& text, std::vector<ZoneAccumulator>& zones);

}  // namespace nl::cluster
