// Identity of an input file for manifests and provenance: path, size, mtime and SHA-256.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

namespace nl {

struct FileStamp {
  std::string path;
  int64_t size = -1;
  int64_t mtime_ns = 0;
  std::string sha256;  // hex; empty until hashed
  bool same_size_and_time(const FileStamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
  bool operator==(const FileStamp&) const = default;
};

// Size and mtime; throws UserError when the file cannot be read. Hashes when `hash` is true.
FileStamp stamp_file(const std::string& path, bool hash);

// stat(2) of many files by their names within their folder, opened once (kept while the next
// file is in the same folder): a daily job checks a file per release it has done, all in one
// folder, and walking each full path (a lookup per component) cost ~3 times the stat itself.
class FolderStats {
 public:
  FolderStats() = default;
  FolderStats(const FolderStats&) = delete;
  FolderStats& operator=(const FolderStats&) = delete;
  ~FolderStats();
  // As ::stat(path, st): 0, or -1 with errno set.
  int stat(const std::string& path, struct stat& st);

 private:
  std::string folder_;  // the open folder's path, with its trailing '/'
  int fd_ = -1;
};

// Whether the file at `recorded.path` still has the recorded size and mtime (false when it cannot
// be read): stamp_file's answer in one stat, with nothing built.
bool still_stamped(const FileStamp& recorded, FolderStats& folders);
std::string sha256_file(const std::string& path);

// One spelling per file: its absolute, lexically normal path (../a/b and /x/a/b are one file).
std::string normal_path(const std::string& path);
// "<normal path>|<size>|<mtime_ns>" of a plain file: what a key of work kept between runs
// (coverage cache aside) records of an input; nullopt for anything else (a GDAL connection
// string has no size or mtime).
std::optional<std::string> plain_file_identity(const std::string& path);
std::string sha256_text(const std::string& text);

// JSON string literal for `text` (quotes included).
std::string json_string(const std::string& text);
// Current UTC time, ISO 8601.
std::string utc_now();

}  // namespace nl
