// The streaming zonal engine: a coverage index (each zone's coverage runs, bucketed by window)
// and the OpenMP loop that reads each window once, preprocesses it and feeds every zone's
// accumulator. Per-window partials are merged in window order, so any thread count gives the
// same bits.
#pragma once
#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "kernels/accumulator.hpp"
#include "kernels/coverage.hpp"
#include "kernels/preprocess.hpp"
#include "pipeline/raster_source.hpp"

namespace nl {

// Every window's runs, grouped by zone (zones ascending), in one flat array: window w's runs
// are [offsets[w], offsets[w+1]). The array is owned, or mapped from the cache file.
struct CoverageIndex {
  WindowLayout layout;
  CoverageMode mode = CoverageMode::exact;
  size_t zone_count = 0;
  std::vector<uint64_t> offsets;
  // Owned runs, allocated uninitialised so that filling them (while freeing the per-window
  // buckets) never holds two touched copies at once.
  struct FreeDeleter {
    void operator()(WindowRun* p) const { std::free(p); }
  };
  std::unique_ptr<WindowRun[], FreeDeleter> storage;
  std::shared_ptr<const void> mapping;  // keeps a mapped cache file alive
  const WindowRun* mapped = nullptr;

  const WindowRun* runs() const { return mapped ? mapped : storage.get(); }
  std::span<const WindowRun> window_runs(int64_t w) const {
    return {runs() + offsets[w], static_cast<size_t>(offsets[w + 1] - offsets[w])};
  }
  size_t total_runs() const { return offsets.empty() ? 0 : offsets.back(); }
};

// Coverage of every zone (in parallel), bucketed into the layout's windows. Consumes the rings
// (released as they are rasterised, to keep the peak down).
CoverageIndex build_coverage_index(std::vector<std::vector<Ring>>&& zones, const WindowLayout& layout,
                                   CoverageMode mode);

// Cell area (km²) of each raster row: ellipsoidal on geographic grids, nominal on equal-area
// projections; other projections get nominal areas with a warning.
std::vector<double> raster_row_areas_km2(const RasterInfo& raster);

struct QualityMask {
  RasterInfo raster;
  double min_count = 1;
};

struct ZonalOptions {
  int threads = 0;  // 0: OpenMP's default
  double lit_threshold = 0;
  PreprocessOptions preprocess;
  std::optional<QualityMask> quality;
  bool progress = true;
  // Called after each window completes (from any thread); a test hook and cancellation point:
  // throwing from it aborts the run.
  std::function<void()> after_window;
};

struct ZonalResult {
  std::vector<ZoneAccumulator> zones;
  int64_t cells_read = 0;
  int64_t windows_read = 0;
};

// Throws UserError on a read error in any window (the run never yields a partial sum).
ZonalResult run_zonal(const RasterInfo& raster, const CoverageIndex& index,
                      const std::vector<double>& row_area_km2, const ZonalOptions& options);

}  // namespace nl
