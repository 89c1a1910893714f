// The typed, versioned record of one release, kept beside its tables
// (releases/<id>/levels.v1.cbor): every level's units with their merged accumulators, regions,
// gap brightness and saturated area. The level tables, the convergence tables, the GeoPackages
// and the maps are all computed from these values; nothing downstream parses a CSV the run wrote.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pipeline/analysis/levels.hpp"

namespace nl {

struct ReleaseLevels {
  std::string release;
  double reference_brightness = 0;  // what gap_to_reference divides by (0: no gap table)
  std::vector<LevelUnits> levels;   // config order, accumulators merged
  std::vector<std::vector<std::string>> region_of_level;   // [level][unit], empty: no region
  std::vector<std::vector<double>> brightness_of_level;    // [level][unit], what the gap compares
  std::vector<std::vector<double>> saturated_of_level;     // [level][unit] km², DMSP only
};

// Bumped when the record's shape changes. The version is in the file's name too, so the plan
// sees a release without a record of this version with one stat (tables-missing: redone)
// instead of anything reading numbers into the wrong fields.
inline constexpr int kReleaseLevelsVersion = 1;
inline constexpr const char* kReleaseLevelsFile = "levels.v1.cbor";

// CBOR bytes (doubles exact, NaN and infinities kept) and back. Decoding checks the format, the
// version and the accumulator layout; a mismatch or a damaged file throws UserError naming `what`.
std::string encode_release_levels(const ReleaseLevels& record);
ReleaseLevels decode_release_levels(const std::string& bytes, const std::string& what);

// releases/<id>/levels.v1.cbor under `out`; nothing when the file is absent.
std::optional<ReleaseLevels> read_release_levels(const std::string& out, const std::string& id);

// Level `name`'s typed table, as releases/<id>/<name>.csv shows it.
TypedTable level_table(const ReleaseLevels& record, const std::string& name, const std::vector<Statistic>& stats,
                       double min_valid_fraction);

}  // namespace nl
