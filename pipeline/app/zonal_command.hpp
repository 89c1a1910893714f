// `nightlights zonal`: one raster band × one polygon layer → one CSV row per polygon.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kernels/accumulator.hpp"
#include "kernels/coverage.hpp"
#include "pipeline/io/diagnostics.hpp"
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

// The library call: the zones' accumulators (no file written). `progress` may cancel.
struct ZonalTable {
  ZoneSet zones;  // ids and carried fields
  std::vector<ZoneAccumulator> accumulators;
  int64_t cells_read = 0, windows_read = 0;
  double prepare_seconds = 0, zonal_seconds = 0;
};
ZonalTable compute_zonal_table(const ZonalCommandOptions& options, const ProgressCallback& progress = {});

// The command: checks the output path, computes with a terminal progress bar, writes the CSV.
void run_zonal_command(const ZonalCommandOptions& options);

// The table: header row (id field, carried fields, statistics) and one row per zone.
std::string zonal_csv(const ZoneSet& zones, const std::string& id_field,
                      const std::vector<Statistic>& stats, const std::vector<ZoneAccumulator>& acc);

}  // namespace nl
