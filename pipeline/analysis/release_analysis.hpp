// The analysis stage of one release: from the zones' merged accumulators to every table of the
// release in memory — levels rolled up, each unit's region, the gap table and its sentences, the
// Hu line and inequality tables. Nothing here reads or writes a file.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "kernels/accumulator.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

// The measured zones of a release: every configured zone layer's zones one after another in
// config order (layer i's first zone at offset[i]), one accumulator per zone.
struct MeasuredZones {
  std::vector<const ZoneSet*> layers;
  std::vector<size_t> offset;
  const std::vector<ZoneAccumulator>* accumulators = nullptr;
  // DMSP: the saturation pass (value 1 where raw DN is 63, 0 elsewhere), one per zone; each
  // level table then gets saturated_area_km2 (its units' sum_area). Null: no such column.
  const std::vector<ZoneAccumulator>* saturation = nullptr;
};

// The Hu line's two sides measured as zones, and the side of each unit of `hu_line.level`.
struct HuLineSides {
  std::string shape;
  const ZoneAccumulator* east = nullptr;
  const ZoneAccumulator* west = nullptr;
  const std::map<std::string, std::string>* side_of_unit = nullptr;  // "east" or "west"
};

// The typed record (levels, regions, gap brightness: what the maps, convergence and GeoPackages
// read back) and the tables formatted from it.
struct ReleaseTables : ReleaseLevels {
  std::vector<std::string> level_csv;                   // [level]
  std::string gaps_csv, hu_line_csv, inequality_csv;  // empty when not configured
  std::string words;                                    // the gap table in sentences
};

// The index of the level called `name` in `config.levels`, -1 when there is none.
int level_index(const RunConfig& config, const std::string& name);

// `hu` is null when the Hu line is off. Throws UserError on inconsistent levels.
ReleaseTables analyse_release(const RunConfig& config, const std::string& release, const MeasuredZones& zones,
                              const HuLineSides* hu);

}  // namespace nl
