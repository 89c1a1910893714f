// The release manifest of an output folder: each release's inputs (size, mtime, SHA-256) and
// state, the panel's units and grid. Saved atomically after every release; reading and writing
// it cost the same with 10,000 releases behind it as with 10 (see RecordText).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/io/file_identity.hpp"

namespace nl {

// The tables of an earlier good run of a release that failed since: kept in releases/<id> and
// in the panel, so that a bad re-download never takes a release's numbers away.
struct GoodTables {
  std::string finished;
  std::vector<FileStamp> inputs;
  std::string settings;
  bool operator==(const GoodTables&) const = default;
};

struct ReleaseRecord {
  std::string state;   // done | failed
  std::string reason;  // why it failed
  std::string finished;
  std::vector<FileStamp> inputs;
  std::string settings;  // fingerprint of the settings and zone contents the tables were made with
  std::optional<GoodTables> last_good;  // failed only: the tables kept from the last good run
  std::vector<std::string> missing_tiles;  // needed tiles absent from a tiled release
  bool operator==(const ReleaseRecord&) const = default;
};

// One release's entry of manifest.yaml as last read or written, with the record it says. yaml-cpp
// reads ~2.5 MB/s and emits ~15,000 records/s: with thousands of releases the manifest, read once
// and saved after each release, cost a daily run more than its one new release. So a save emits
// only the records that changed since and copies the others' text, and a load reads the entries
// yaml-cpp wrote (plain scalars in its layout) directly, leaving any other entry to yaml-cpp.
// The text is a place in the file as read (shared by the entries, not copied per entry) or, for an
// entry emitted since, its own.
struct RecordText {
  ReleaseRecord record;
  std::string emitted;                      // the entry as this process emitted it
  std::shared_ptr<const std::string> file;  // else the manifest file read, which holds it
  size_t at = 0, size = 0;                  // its place there
  // "  <id>:\n    state: ...\n", as it stands in the file
  std::string_view yaml() const { return file ? std::string_view(*file).substr(at, size) : std::string_view(emitted); }
};

struct Manifest {
  std::string units;
  std::string grid;  // GridGeometry::describe() of the panel's grid
  double grid_values[6] = {0, 0, 0, 0, 0, 0};  // origin x, y, cell w, h, width, height
  bool has_grid = false;
  std::vector<FileStamp> zone_inputs;  // the zone files' last seen stamps and hashes
  std::map<std::string, ReleaseRecord> releases;
  mutable std::map<std::string, RecordText> texts;  // by release id; kept by load and save
  // What the file at `saved_path` holds, as this process last read or wrote it: this header (the
  // text before the entries) and then `texts`. A save that would write those bytes again (at
  // the start of a run that touched nothing) is skipped, without building the text.
  mutable std::string saved_header, saved_path;
};

Manifest load_manifest(const std::string& path);  // empty when the file does not exist
void save_manifest(const std::string& path, const Manifest& manifest);
// The text save_manifest writes (and updates manifest.texts with).
std::string manifest_yaml(const Manifest& manifest);

}  // namespace nl
