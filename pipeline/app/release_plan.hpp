// The plan of a run: what to do with each release found on disk, decided by comparing its input
// files and the settings fingerprint with the manifest's record of the release's last run.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/manifest.hpp"
#include "pipeline/io/releases.hpp"

namespace nl {

enum class ReleaseAction {
  new_release,       // never processed
  changed,           // an input's content changed
  retry,             // its last run failed or stopped
  forced,            // --force
  settings_changed,  // made with other settings or zones
  tables_missing,    // recorded as done but its folder (or its typed levels record) is gone
  unchanged,         // nothing to do
};

// The word used in the dry-run listing, the log and provenance.json ("new", "settings-changed", …).
const char* action_name(ReleaseAction action);

struct PlannedRelease {
  ReleaseFile release;
  ReleaseAction action = ReleaseAction::new_release;
  std::string previous_sha;  // changed only: the first input's hash before
};

struct PlanOptions {
  bool force = false;
  bool verify = false;  // hash every input, even one whose size and mtime are unchanged
};

// Every input of a release: its tiles (a changed tile set redoes it), or its raster and quality.
std::vector<FileStamp> release_stamps(const ReleaseFile& release, bool hash);
// Every input file of a release with its role, in the order of release_stamps: "raster" and
// "quality", or per tile "tile 75N060E" and (with a quality raster per tile) "quality 75N060E".
// A late or re-processed tile, or its cf_cvg, changes the stamps and redoes the release.
std::vector<std::pair<std::string, std::string>> release_inputs(const ReleaseFile& release);

// Same paths in the same order, and the same hashes (by_hash) or sizes and mtimes.
bool same_inputs(const std::vector<FileStamp>& a, const std::vector<FileStamp>& b, bool by_hash);

// One entry per release, in order. A release touched but not changed (same hashes, new mtime)
// is unchanged, and its new stamps are written into `manifest` so the next run need not hash.
// `has_levels_record(id)`: whether the release's committed folder holds its typed levels record
// (the run asks LevelsRecordsSeen, which looks into a folder once per version of it); asked only
// of releases done with these settings, and a no redoes the release (tables-missing).
std::vector<PlannedRelease> plan_releases(std::vector<ReleaseFile> releases, Manifest& manifest,
                                          const std::string& settings,
                                          const std::function<bool(const std::string& id)>& has_levels_record,
                                          const PlanOptions& options);

}  // namespace nl
