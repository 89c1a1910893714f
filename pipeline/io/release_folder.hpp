// A release's output folder, written beside its final place (`releases/.<id>.partial-<pid>`)
// and swapped in whole, so a reader sees all its new tables or all its old ones, never a mix.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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
  // Swaps the staged folder into releases/<id> (the old one renamed aside, then removed).
  void commit();

 private:
  std::string releases_dir_, release_, stage_;
  bool committed_ = false;
};

// Leftovers of a run killed with SIGKILL: staging and set-aside folders never renamed into
// place. Call only while holding the output folder's lock.
void remove_stale_staging(const std::string& releases_dir);

// The names in releases_dir but its hidden ones (staging, set aside): the releases with a folder,
// from one listing instead of one lookup per release of a long history, each with its folder's
// inode number, which the listing gives without a stat. A commit swaps in a folder made beside
// the old one, so a redone release's folder has another number. In name order; empty if
// releases_dir is absent.
std::vector<std::pair<std::string, uint64_t>> release_folders(const std::string& releases_dir);

}  // namespace nl
