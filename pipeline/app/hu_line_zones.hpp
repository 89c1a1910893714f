// The Hu line prepared for a run: its definition, its two sides written as a zone layer
// (OUT/hu_line_zones.gpkg, measured like any zones) and the side of each unit of its level.
#pragma once
#include <map>
#include <string>

#include "pipeline/analysis/hu_line.hpp"
#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/io/config.hpp"

namespace nl {

struct HuLineZones {
  HuLineDefinition definition;
  ZoneSource source;                                  // the sides' layer, "east" and "west"
  std::map<std::string, std::string> side_of_unit;  // unit code of hu_line.level → side
};

// Rank 0 writes the sides' layer (kept untouched when its bytes are the same, so the coverage
// cache keyed on its mtime stays valid); the other ranks wait for it. The layer and the units'
// sides are kept between runs (hu_line_cache.hpp); `reuse_kept` false (run --verify) computes
// them again and keeps the new ones.
HuLineZones prepare_hu_line_zones(const RunConfig& config, const std::string& out, bool reuse_kept = true);

}  // namespace nl
