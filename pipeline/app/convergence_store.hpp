// panel/convergence.csv and panel/growth_<level>.csv, kept up to date so that a run adding one
// release reads that release only. Under OUT/panel/.convergence/ the store keeps
//   releases/<id>.v1.cbor  the values convergence reads of release <id> (per convergence level:
//                          codes, regions, brightness, total light), with the stamp of the
//                          levels record they came from;
//   state.v1.cbor          the releases folded in so far (ids and record stamps, in order) and
//                          each level's ConvergenceState (analysis/convergence_state).
// A run whose earlier releases are the stored ones, unchanged (same ids in the same order, same
// record stamps, same settings), appends the new releases' values to the state in O(units). Any
// other difference — a release redone, removed or inserted before the last, other settings or
// another build, a balanced unit missing or dark in a new release, a damaged file — rebuilds the
// state from every release's values: stored parts whose stamp still matches, records otherwise.
#pragma once
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"

namespace nl {

// What a run read, for tests and the log: how many levels records it decoded, how many stored
// parts it read, whether it rebuilt the state from every release.
struct ConvergenceUpdate {
  size_t records_decoded = 0, parts_read = 0;
  bool rebuilt = false;
};

// Writes the tables over `ids` (the releases the manifest backs, in order); nothing when empty.
ConvergenceUpdate update_convergence_tables(const std::string& out, const RunConfig& config,
                                            const std::vector<std::string>& ids);

}  // namespace nl
