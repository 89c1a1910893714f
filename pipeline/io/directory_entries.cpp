// A folder's entries by readdir (see directory_entries.hpp).
#include "pipeline/io/directory_entries.hpp"

#include <dirent.h>
#include <sys/stat.h>

namespace nl {

namespace {

DirectoryEntry::Kind kind_of(const std::string& dir, const dirent& e) {
  unsigned char type = e.d_type;
  if (type == DT_UNKNOWN) {  // a file system that does not say: ask
    struct stat st {};
    if (::lstat((dir + "/" + e.d_name).c_str(), &st) != 0) return DirectoryEntry::other;
    type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
  }
  return type == DT_REG ? DirectoryEntry::file : type == DT_DIR ? DirectoryEntry::directory : DirectoryEntry::other;
}

}  // namespace

std::optional<std::vector<DirectoryEntry>> directory_entries(const std::string& dir) {
  DIR* listing = ::opendir(dir.c_str());
  if (!listing) return std::nullopt;
  std::vector<DirectoryEntry> entries;
  while (const dirent* e = ::readdir(listing)) {
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    entries.push_back({name, kind_of(dir, *e), static_cast<uint64_t>(e->d_ino)});
  }
  ::closedir(listing);
  return entries;
}

}  // namespace nl
