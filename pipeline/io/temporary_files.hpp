// Names of temporary files (written beside their target, then renamed) that say who wrote them —
// host, PID and time — so that leftovers of a killed job or a full disk can be found and removed
// later without ever touching a temporary that a live job on any node is still writing.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/directory_entries.hpp"

namespace nl {

// `target` + ".tmp.<host>.<pid>.<unix seconds>" + `suffix` (GDAL picks a driver by extension,
// so GeoPackage temporaries end in ".gpkg").
std::string temporary_path(const std::string& target, const std::string& suffix = "");

// Removes a temporary (and an SQLite -journal/-wal/-shm beside it) when it goes out of scope:
// a write that throws midway (a full disk) leaves nothing; after the rename there is nothing left
// to remove. Declare it before the dataset writing the file, so the file is closed first.
class TemporaryFileGuard {
 public:
  explicit TemporaryFileGuard(std::string path) : path_(std::move(path)) {}
  ~TemporaryFileGuard();
  TemporaryFileGuard(const TemporaryFileGuard&) = delete;
  TemporaryFileGuard& operator=(const TemporaryFileGuard&) = delete;

 private:
  std::string path_;
};

struct TemporaryName {
  std::string host;  // empty: an older name (".tmp.<pid>") that does not say which host
  int64_t pid = 0;
  int64_t created = 0;  // Unix seconds in the name; 0 in the older name
};
// Who wrote a temporary, from its file name (GeoPackage -journal/-wal/-shm companions too);
// nothing when the name is not one of ours.
std::optional<TemporaryName> parse_temporary_name(const std::string& file_name);

// This machine's host name as it appears in temporaries.
std::string temporary_host();

// Removes the temporaries in `dir` (and its subfolders when `recursive`) that no live job can
// still be writing: those of dead processes on this host (kill(pid, 0) fails with ESRCH, or the
// PID's process started after the temporary was named: the PID was reused), and those from
// other hosts — or from unknown hosts — whose mtime is older than `max_age_seconds` (another
// node's processes cannot be asked). Older names count only for our own kinds of file
// (.csv, .yaml, .json, .nlcov, .gpkg). Returns how many were removed; never throws.
size_t remove_stale_temporaries(const std::string& dir, bool recursive, int64_t max_age_seconds = 24 * 3600);

// The same through `dir` and its subfolders, but in its subfolder `sub` (e.g. "releases") only
// the files at its top and the folders that `look_into(name)` says yes to: the caller knows the
// others hold no temporary of ours (see app/release_history::remove_stale_output_temporaries).
// `sub` is not listed again: `sub_entries` is the caller's listing of it (directory_entries), and
// no stat or path is built for the folders left alone.
size_t remove_stale_temporaries(const std::string& dir, const std::string& sub,
                                const std::vector<DirectoryEntry>& sub_entries,
                                const std::function<bool(const std::string& name)>& look_into,
                                int64_t max_age_seconds = 24 * 3600);

}  // namespace nl
