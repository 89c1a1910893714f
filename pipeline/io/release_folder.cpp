// Staged release folders (see release_folder.hpp).
#include "pipeline/io/release_folder.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string_view>
#include <vector>

#include "pipeline/io/output_file.hpp"

namespace nl {

namespace fs = std::filesystem;

StagedReleaseFolder::StagedReleaseFolder(const std::string& releases_dir, const std::string& release)
    : releases_dir_(releases_dir),
      release_(release),
      stage_(releases_dir + "/." + release + ".partial-" + std::to_string(getpid())) {
  fs::remove_all(stage_);
  make_directories(stage_);
}

StagedReleaseFolder::~StagedReleaseFolder() {
  std::error_code ec;
  if (!committed_) fs::remove_all(stage_, ec);
}

void StagedReleaseFolder::write(const std::string& name, const std::string& text) const {
  write_file_atomically(stage_ + "/" + name, text);
}

void StagedReleaseFolder::commit() {
  const std::string final_dir = releases_dir_ + "/" + release_;
  const std::string old = releases_dir_ + "/." + release_ + ".old-" + std::to_string(getpid());
  if (fs::exists(final_dir)) fs::rename(final_dir, old);
  fs::rename(stage_, final_dir);
  committed_ = true;
  std::error_code ec;
  fs::remove_all(old, ec);
}

void remove_stale_staging(const std::string& releases_dir) {
  // readdir: of a long history's thousands of folders only the few dot-names need a path.
  DIR* dir = ::opendir(releases_dir.c_str());
  if (!dir) throw fs::filesystem_error("cannot list", releases_dir, std::error_code(errno, std::generic_category()));
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name.starts_with('.') && (name.find(".partial-") != name.npos || name.find(".old-") != name.npos))
      stale.push_back(releases_dir + "/" + std::string(name));
  }
  ::closedir(dir);
  std::error_code ec;
  for (const auto& path : stale) fs::remove_all(path, ec);
}

std::vector<std::pair<std::string, uint64_t>> release_folders(const std::string& releases_dir) {
  std::vector<std::pair<std::string, uint64_t>> names;
  // readdir, not std::filesystem: the entry's inode number (d_ino) is part of the listing.
  DIR* dir = ::opendir(releases_dir.c_str());
  if (!dir) return names;
  while (const dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name, static_cast<uint64_t>(e->d_ino));
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace nl
