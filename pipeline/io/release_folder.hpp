// A release's output folder, written beside its final place (`releases/.<id>.partial-<pid>`)
// and swapped in whole, so a reader sees all its new tables or all its old ones, never a mix.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/directory_entries.hpp"

namespace nl {

class StagedReleaseFolder {
 public:
  StagedReleaseFolder(const std::string& releases_dir, const std::string& release);
  ~StagedReleaseFolder();  // removes the staging folder unless committed
  StagedReleaseFolder(const StagedReleaseFolder&) = delete;
  StagedReleaseFolder& operator=(const StagedReleaseFolder&) = delete;

  const std::string& path() const { return stage_; }
  // Writes `text` to path()/name through a temporary and a rename.
  void write(const std::string& name, const std::string& text) const;
  // Swaps the staged folder into releases/<id> (the old one renamed aside, then removed);
  // returns the committed folder's inode number (see release_folders).
  uint64_t commit();

 private:
  std::string releases_dir_, release_, stage_;
  bool committed_ = false;
};

// The entries of releases_dir, listed once for a run (directory_entries): its planning, its
// clean-ups and its panel read this listing instead of listing a long history's folder again
// (~0.4 ms a listing at 1,000 releases). Empty when releases_dir is absent; throws
// std::filesystem::filesystem_error when it cannot be listed.
std::vector<DirectoryEntry> list_release_folder(const std::string& releases_dir);

// Leftovers of a run killed with SIGKILL among `entries` (list_release_folder of releases_dir):
// staging and set-aside folders never renamed into place. Call only while holding the output
// folder's lock.
void remove_stale_staging(const std::string& releases_dir, const std::vector<DirectoryEntry>& entries);

// A committed release folder: its name (the release id) and its inode number, which the listing
// gives without a stat. A commit swaps in a folder made beside the old one, so a redone release's
// folder has another number.
using ReleaseFolderStamp = std::pair<std::string, uint64_t>;

// The names among `entries` (list_release_folder) but the hidden ones (staging, set aside): the
// releases with a folder, each with its inode number. In name order.
std::vector<ReleaseFolderStamp> release_folders(const std::vector<DirectoryEntry>& entries);

// `folders` (release_folders, in name order) after this run committed `release`'s folder with
// inode number `inode`: what a fresh listing would now say, without one.
void note_committed_folder(std::vector<ReleaseFolderStamp>& folders, const std::string& release, uint64_t inode);

}  // namespace nl
