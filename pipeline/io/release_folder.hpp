// A release's output folder, written beside its final place (`releases/.<id>.partial-<pid>`)
// and swapped in whole, so a reader sees all its new tables or all its old ones, never a mix.
#pragma once
#include <set>
#include <string>

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
// from one listing instead of one lookup per release of a long history. Empty if it is absent.
std::set<std::string> release_folders(const std::string& releases_dir);

}  // namespace nl
