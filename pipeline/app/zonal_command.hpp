// `nightlights zonal`: one raster band × one polygon layer → one CSV row per polygon.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kernels/statistics_registry.hpp"
#include "kernels/coverage.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

struct ZonalCommandOptions {
  std::string raster;
  int band = 1;
  ZoneSource zones;
  std::vector<Statistic> stats;
  CoverageMode coverage = CoverageMode::exact;
  std::optional<double> nodata;  // overrides the band's
  std::optional<double> floor;
  double lit_threshold = 0;
  std::string assume_crs;
  int threads = 0;
  bool bom = false;
  std::string cache_dir;  // empty: no coverage cache
  std::string output;
};

void run_zonal_command(const ZonalCommandOptions& options);

// The table: header row (id field, carried fields, statistics) and one row per zone.
std::string zonal_csv(const ZoneSet& zones, const std::string& id_field,
                      const std::vector<Statistic>& stats, const std::vector<ZoneAccumulator>& acc);

}  // namespace nl
