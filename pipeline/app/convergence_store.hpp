// panel/convergence.csv and panel/growth_<level>.csv, kept up to date so that a run adding one
// release reads that release only. Under OUT/panel/.convergence/ the store keeps
//   releases/<id>.v1.cbor  the values convergence reads of release <id> (per convergence level:
//                          codes, regions, brightness, total light), with the version of the
//                          release's tables they came from (PanelRelease: its folder's inode
//                          and the tables' finish time, from the manifest and one listing);
//   state.v1.cbor          the releases folded in so far (ids and versions, in order) and
//                          each level's ConvergenceState (analysis/convergence_state).
// A run whose earlier releases are the stored ones, unchanged (same ids in the same order, same
// versions, same settings), appends the new releases' values to the state in O(units), and
// learns that without a system call per release. Any
// other difference — a release redone, removed or inserted before the last, other settings or
// another build, a balanced unit missing or dark in a new release, a damaged file — rebuilds the
// state from every release's values: stored parts whose version still matches, records otherwise.
#pragma once
#include <string>
#include <vector>

#include "pipeline/app/release_history.hpp"
#include "pipeline/io/config.hpp"

namespace nl {

// What a run read, for tests and the log: how many levels records it decoded, how many stored
// parts it read, whether it rebuilt the state from every release.
struct ConvergenceUpdate {
  size_t records_decoded = 0, parts_read = 0;
  bool rebuilt = false;
};

// Writes the tables over `releases` (those the manifest backs, in order); nothing when empty.
// A release whose levels record is needed and missing throws (throw_missing_levels_record).
ConvergenceUpdate update_convergence_tables(const std::string& out, const RunConfig& config,
                                            const std::vector<PanelRelease>& releases);

}  // namespace nl
