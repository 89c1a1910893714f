// Which committed release folders were seen to hold this build's typed levels record, remembered
// between runs, so that planning looks into a folder once per version of it rather than on every
// run: at 1,000 releases a lookup per folder per run was ~5 ms of system calls a daily run paid
// for its history alone.
//
// The rule: a release folder's levels record is looked up when the folder's version (its inode
// and its tables' finish time, PanelRelease) is not remembered with it, i.e. once after each
// commit, and for every folder after a build that writes another record version (the
// remembered file's name carries the record's), after `run --verify`, and after a reader found a
// record missing (forget_levels_records_seen). A record deleted by hand from a folder whose
// version is remembered is noticed by the first reader that needs it (convergence rebuilding, the
// GeoPackages of the latest release), which forgets what was seen, so the next run redoes it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "pipeline/app/release_history.hpp"

namespace nl {

// OUT/releases/.<record file>.seen: one line "<id>\t<version>" per folder seen with its record.
std::string levels_records_seen_path(const std::string& out);

// The logic, without files: what was remembered against the folders as they are now.
class LevelsRecordsSeen {
 public:
  // `now`: the releases with a committed folder (panel_releases); `remembered`: the text of the
  // file (empty when there is none); `trust_remembered` false: every folder is looked into.
  LevelsRecordsSeen(const std::vector<PanelRelease>& now, const std::string& remembered, bool trust_remembered);

  // Whether release `id`'s folder holds the record: no when it has no committed folder; yes when
  // it was seen at the folder's current version; else `look()` (one lookup) says, and a yes is
  // remembered.
  bool has_record(const std::string& id, const std::function<bool()>& look);

  // What to remember: the folders seen with their record, at their current version, in id order.
  std::string text() const;
  // Whether text() differs from what was remembered.
  bool changed() const { return changed_; }

 private:
  std::vector<PanelRelease> now_;  // id order
  std::vector<char> seen_;         // [i]: now_[i]'s folder was seen with its record at its version
  bool changed_ = false;
};

// The run's view of the committed folders (panel_releases), the remembered file read once
// (`verify`: not trusted).
LevelsRecordsSeen load_levels_records_seen(const std::vector<PanelRelease>& committed, const std::string& out,
                                           bool verify);
// Writes it when it changed. It is a cache (lost, every folder is looked into once): written by
// rename without an fsync, and a failure to write it is not an error.
void save_levels_records_seen(const LevelsRecordsSeen& seen, const std::string& out);
// A reader found a record missing: the next run looks into every folder again and redoes the
// release whose record is gone.
void forget_levels_records_seen(const std::string& out);

// The error of a reader that needs release `id`'s levels record and finds none: forgets what was
// seen (above), so that "run again" redoes the release.
[[noreturn]] void throw_missing_levels_record(const std::string& out, const std::string& id);

}  // namespace nl
