// Staged release folders (see release_folder.hpp).
#include "pipeline/io/release_folder.hpp"

#include <sys/stat.h>
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

uint64_t StagedReleaseFolder::commit() {
  const std::string final_dir = releases_dir_ + "/" + release_;
  const std::string old = releases_dir_ + "/." + release_ + ".old-" + std::to_string(getpid());
  if (fs::exists(final_dir)) fs::rename(final_dir, old);
  fs::rename(stage_, final_dir);
  committed_ = true;
  std::error_code ec;
  fs::remove_all(old, ec);
  struct stat st {};
  if (::stat(final_dir.c_str(), &st) != 0)
    throw fs::filesystem_error("cannot stat", final_dir, std::error_code(errno, std::generic_category()));
  return static_cast<uint64_t>(st.st_ino);
}

std::vector<DirectoryEntry> list_release_folder(const std::string& releases_dir) {
  auto entries = directory_entries(releases_dir);
  if (entries) return std::move(*entries);
  if (errno == ENOENT) return {};
  throw fs::filesystem_error("cannot list", releases_dir, std::error_code(errno, std::generic_category()));
}

void remove_stale_staging(const std::string& releases_dir, const std::vector<DirectoryEntry>& entries) {
  std::error_code ec;
  for (const DirectoryEntry& e : entries) {
    const bool staging = e.name.find(".partial-") != std::string::npos || e.name.find(".old-") != std::string::npos;
    if (e.name.starts_with('.') && staging) fs::remove_all(releases_dir + "/" + e.name, ec);
  }
}

std::vector<ReleaseFolderStamp> release_folders(const std::vector<DirectoryEntry>& entries) {
  std::vector<ReleaseFolderStamp> names;
  names.reserve(entries.size());
  for (const DirectoryEntry& e : entries)
    if (e.name[0] != '.') names.emplace_back(e.name, e.inode);
  std::sort(names.begin(), names.end());
  return names;
}

void note_committed_folder(std::vector<ReleaseFolderStamp>& folders, const std::string& release, uint64_t inode) {
  const auto at = std::lower_bound(folders.begin(), folders.end(), release,
                                   [](const ReleaseFolderStamp& f, const std::string& id) { return f.first < id; });
  if (at != folders.end() && at->first == release) at->second = inode;
  else folders.insert(at, {release, inode});
}

}  // namespace nl
