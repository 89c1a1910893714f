// provenance.json of a release: what was read, with which settings and tool, and what it cost.
// A typed record, written with nlohmann-json (escaping and numbers by the library).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/file_identity.hpp"

namespace nl {

struct ProvenanceInput {
  std::string role;  // "raster", "quality", "tile h29v05", "zones"
  FileStamp stamp;
};

struct Provenance {
  std::string release, action, previous_sha256;  // previous_sha256: empty unless changed
  std::string config_path, config_text, units, grid, coverage;
  std::vector<ProvenanceInput> inputs;
  std::vector<size_t> zones_repaired;                      // per zone layer
  std::vector<std::pair<std::string, double>> timings_s;  // in the order written
  int64_t cells_read = 0, negative_cells = 0;
  std::optional<size_t> tiles_needed;  // tiled releases only
  std::vector<std::string> tiles_missing;
  std::string dmsp_json;  // a DMSP release's calibration and combination (a JSON object), empty: none
  std::optional<int> measured_on_rank;  // when whole releases go to MPI ranks
};

// The JSON text (two-space indent, keys in a fixed order, tool version and finish time added).
std::string provenance_json(const Provenance& provenance);

}  // namespace nl
