// Staged release folders (see release_folder.hpp).
#include "pipeline/io/release_folder.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <vector>

#include "pipeline/io/directory_entries.hpp"
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
  const auto entries = directory_entries(releases_dir);
  if (!entries)
    throw fs::filesystem_error("cannot list", releases_dir, std::error_code(errno, std::generic_category()));
  std::error_code ec;
  for (const DirectoryEntry& e : *entries) {
    const bool staging = e.name.find(".partial-") != std::string::npos || e.name.find(".old-") != std::string::npos;
    if (e.name.starts_with('.') && staging) fs::remove_all(releases_dir + "/" + e.name, ec);
  }
}

std::vector<std::pair<std::string, uint64_t>> release_folders(const std::string& releases_dir) {
  std::vector<std::pair<std::string, uint64_t>> names;
  // The entry's inode number comes with the listing: no stat per folder.
  for (const DirectoryEntry& e : directory_entries(releases_dir).value_or(std::vector<DirectoryEntry>{}))
    if (e.name[0] != '.') names.emplace_back(e.name, e.inode);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace nl
