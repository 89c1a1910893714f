// What the manifest and the output folder say about releases processed before: which tables
// the panel holds, which releases' rasters were deleted since, and which tables a release that
// fails now keeps from its last good run.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/app/release_plan.hpp"
#include "pipeline/io/manifest.hpp"
#include "pipeline/io/release_folder.hpp"
#include "pipeline/io/releases.hpp"

namespace nl {

// A release whose tables the panel holds, and which version of them its folder holds: the
// folder's inode number and when the run that made the tables finished, "<inode> <finished>".
// Both come from memory and one listing of OUT/releases (release_folders of the run's
// list_release_folder, brought up to date by its commits), never from the release's files: a
// daily run compares an old release with what it was (panel, convergence, the levels records
// seen) in no system call. A redo commits a new folder (another inode) and a new finish time.
// What the version does not see: a table of an old release edited or deleted by hand inside its
// folder (README, "A daily job"; `run --verify` looks into every folder).
struct PanelRelease {
  std::string id;
  std::string version;
  bool operator==(const PanelRelease&) const = default;
};

// Releases whose tables the panel holds: done, or failed with their last good tables kept, and
// with their folder among `folders` (release_folders of OUT/releases). In id order.
std::vector<PanelRelease> panel_releases(const Manifest& manifest, const std::vector<ReleaseFolderStamp>& folders);

// The ids of `releases`, in their order.
std::vector<std::string> release_ids(const std::vector<PanelRelease>& releases);

// Releases with tables (`committed`, panel_releases) whose raster is gone from the disk (not
// merely outside the releases found, planned in `found`, or `only`): (id, the raster's recorded
// path). Reported, never redone, their tables kept.
std::vector<std::pair<std::string, std::string>> deleted_rasters(const Manifest& manifest,
                                                                 const std::vector<PanelRelease>& committed,
                                                                 const std::vector<PlannedRelease>& found,
                                                                 const std::string& only);

// The run's plan (plan_releases) with each committed folder's (`committed`, panel_releases of
// `manifest` as read) levels record looked up as
// LevelsRecordsSeen rules: once per version of the folder, every folder with `options.verify`.
// What was seen is remembered for the next run when `remember` (the writing rank of a run that
// writes, not a dry run).
std::vector<PlannedRelease> plan_against_history(std::vector<ReleaseFile> releases, Manifest& manifest,
                                                 const std::vector<PanelRelease>& committed,
                                                 const std::string& settings, const std::string& out,
                                                 const PlanOptions& options, bool remember);

// Temporaries of jobs killed mid-write (or stopped by a full disk) under OUT: those of dead
// processes on this host, and day-old ones of other hosts; a live job's are never touched. The
// committed release folders that this run leaves as they are (unchanged in `plan`, or not in it)
// are not looked into, so the sweep costs no listing of releases/ (`releases_entries` is the
// run's, list_release_folder) and none per release: a commit swaps in a folder whose files were
// all renamed into place inside the staging folder, so it holds no temporary of a run. A crashed
// writer's temporaries are therefore in a staging folder (removed whole with it), a folder no
// committed release owns, one this run redoes (both swept), or a maps folder `nightlights
// report` redraws (swept by the report).
void remove_stale_output_temporaries(const std::string& out, const std::vector<DirectoryEntry>& releases_entries,
                                     const std::vector<PanelRelease>& committed,
                                     const std::vector<PlannedRelease>& plan);

// The record of a release that failed now. It keeps the tables of its last good run (in
// releases/<id> and the panel) when they were made with `settings`; tables of other settings
// are removed (when `may_remove`, i.e. on the writing rank), since a panel never mixes them.
ReleaseRecord failure_record(const Manifest& manifest, const std::string& out, const ReleaseFile& release,
                             const std::string& reason, const std::string& settings, bool may_remove);

}  // namespace nl
