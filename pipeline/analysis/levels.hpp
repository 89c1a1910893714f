// Admin levels from accumulators: county → city → province → region by merging the finer
// level's accumulators (never a second pass over pixels), and the east/west gap table.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernels/statistics_registry.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/typed_table.hpp"

namespace nl {

struct LevelUnits {
  std::string name;
  std::vector<std::string> codes;
  std::vector<std::string> field_names;
  std::vector<std::vector<std::string>> fields;  // [unit][field]
  std::vector<ZoneAccumulator> acc;
  std::vector<int64_t> n_units;         // finest units merged into each unit (1 for own layers)
  int from = -1;                        // index of the finer level, -1 for own layers
  std::vector<int64_t> unit_of_from;    // [unit of `from`] → unit here
};

// The key of one unit for a derived level: field (or id), prefix, suffix, lookup.
std::string level_key(const LevelConfig& level, const std::string& code,
                      const std::vector<std::string>& field_names, const std::vector<std::string>& fields);

// Builds the derived levels' membership (codes, mappings) from the finer levels' codes and fields;
// own-layer levels must already have codes/fields. Accumulators are not touched.
void derive_level_membership(const std::vector<LevelConfig>& config, std::vector<LevelUnits>& levels);

// Fills every derived level's accumulators by merging its finer level's, in unit order.
void merge_level_accumulators(std::vector<LevelUnits>& levels);

// For each unit of level `from`, its unit in level `to` (which must derive from `from`).
std::vector<int64_t> map_units(const std::vector<LevelUnits>& levels, int from, int to);

// The level whose zone layer level `l`'s units are built from: `l` itself for an own-layer level,
// else the level at the root of its `from` chain.
int own_level(const std::vector<LevelUnits>& levels, int l);

struct GapRow {
  std::string group;
  int64_t units_counted = 0;
  int64_t units_left_out = 0;  // below min_valid_fraction (or no valid cells)
  bool compared = true;        // false for groups outside the comparison (`other`)
  ZoneAccumulator acc;
  double population = 0;                   // of the counted units that have one
  int64_t units_without_population = 0;    // counted units the population table does not cover
};

struct GapTable {
  std::vector<GapRow> rows;  // configured groups, then "all", then groups outside the comparison
  double reference_brightness = 0;
};

// `population` (may be null): each unit's population, NaN where unknown.
GapTable gap_table(const GapsConfig& config, const LevelUnits& units, const std::vector<std::string>& group_of_unit,
                   double min_valid_fraction, const std::vector<double>* population = nullptr);

// Each unit of `level`'s population: the table's value for `from`'s units, summed over the
// members for levels made of them; NaN for a unit any of whose members the table lacks. Empty
// when `level` is not made of `from`'s units.
std::vector<double> level_population(const std::vector<LevelUnits>& levels, int from, int level,
                                     const std::map<std::string, double>& by_code);

// Each unit's brightness (Σ sum_area / Σ valid area, NaN where undefined) for gap_to_reference.
// A level made of `base`'s units (gaps.level) counts only its members the gap table counts
// (included), merged in the same order, so a group's row has gaps.csv's brightness to the last
// bit and the reference's own gap is exactly 0. Any other level, `base` itself included: each
// unit's own mean_area.
std::vector<double> gap_brightness(const std::vector<LevelUnits>& levels, int base, int level,
                                   double min_valid_fraction);

// A level's table, typed: release, code, the zone fields and `region` as text, n_units and
// included as integers, the statistics, saturated_area_km2 and gap_to_reference as reals (NaN:
// no value). `region_of_unit` (may be empty) adds the `region` column. `brightness` (may be
// null: each unit's mean_area) is what gap_to_reference compares with the reference.
TypedTable level_table(const std::string& release, const LevelUnits& level, const std::vector<Statistic>& stats,
                       double min_valid_fraction, double reference_brightness,
                       const std::vector<std::string>& region_of_unit = {},
                       const std::vector<double>* brightness = nullptr,
                       const std::vector<double>* saturated_km2 = nullptr);
// The same as CSV text (header + rows), as written to releases/<r>/<level>.csv.
std::string level_csv(const std::string& release, const LevelUnits& level, const std::vector<Statistic>& stats,
                      double min_valid_fraction, double reference_brightness,
                      const std::vector<std::string>& region_of_unit = {},
                      const std::vector<double>* brightness = nullptr,
                      const std::vector<double>* saturated_km2 = nullptr);  // DMSP: a saturated_area_km2 column
// `with_population` adds population, population_share, light_per_person and
// units_without_population.
// with_centres: each group's centre of light and of area (light_lon, light_lat, area_lon,
// area_lat), from its merged accumulator through the statistics registry.
std::string gaps_csv(const std::string& release, const GapTable& table, const GapsConfig& config,
                     bool with_population = false, bool with_centres = false);

bool unit_included(const ZoneAccumulator& acc, double min_valid_fraction);

}  // namespace nl
