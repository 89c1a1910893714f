// One folder's entries as readdir gives them: a name, a kind and an inode number each, with no
// stat per entry (but on a file system that does not say an entry's kind). A long history keeps
// an entry per release in releases/ and in panel/.convergence/releases, and a name and a kind are
// all a run's sweeps and its listing of release folders need of them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nl {

struct DirectoryEntry {
  enum Kind { file, directory, other };  // other: a symbolic link (not followed), a device, ...
  std::string name;
  Kind kind = other;
  uint64_t inode = 0;
};

// In readdir's order, without "." and ".."; nothing when the folder cannot be listed (errno says
// why).
std::optional<std::vector<DirectoryEntry>> directory_entries(const std::string& dir);

}  // namespace nl
