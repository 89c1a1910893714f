// The streaming zonal engine: a coverage index (each zone's coverage runs, bucketed by
// accumulation tile) and the OpenMP loop that reads each block-shaped window once,
// preprocesses it and feeds every zone's accumulator. Per-tile partials are merged in tile
// order, so any thread count and any block structure of the file give the same bits.
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
#include "pipeline/engine/cell_areas.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/raster_source.hpp"

namespace nl {

// A read-only memory map of a file (the cache, or a scratch file an index spilled to).
struct MappedFile {
  const void* data = nullptr;
  size_t size = 0;
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
};
// Maps the whole of an open file read-only; nullptr if it cannot (the caller closes fd).
// A file of at most `populate_up_to` bytes has every page faulted in at once (MAP_POPULATE), for
// a file read in full right away: one call instead of a fault per page.
std::shared_ptr<const MappedFile> map_file_readonly(int fd, size_t populate_up_to = 0);

// Every window's runs, grouped by zone (zones ascending). Runs are numbered across the whole
// index (window w's are [offsets[w], offsets[w+1])) and stored per row of windows (a band):
// each band's runs are contiguous, in owned memory or in a mapped file.
struct CoverageIndex {
  WindowLayout layout;
  CoverageMode mode = CoverageMode::exact;
  size_t zone_count = 0;
  std::vector<uint64_t> offsets;
  std::vector<const WindowRun*> band_runs;  // [band] its first run
  std::vector<uint8_t> band_in_file;        // [band] 1 if band_runs points into a mapped file
  // Drop a file-backed band's pages once all its windows are accumulated: an index larger than
  // memory's budget then costs only the bands in flight.
  bool release_after_use = false;

  struct FreeDeleter {
    void operator()(WindowRun* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<WindowRun[], FreeDeleter>> owned;
  std::vector<std::shared_ptr<const MappedFile>> mappings;

  std::span<const WindowRun> band(int64_t b) const {
    const int64_t wcols = layout.window_cols();
    return {band_runs[b], static_cast<size_t>(offsets[(b + 1) * wcols] - offsets[b * wcols])};
  }
  std::span<const WindowRun> window_runs(int64_t w) const {
    const int64_t b = w / layout.window_cols();
    return {band_runs[b] + (offsets[w] - offsets[b * layout.window_cols()]),
            static_cast<size_t>(offsets[w + 1] - offsets[w])};
  }
  size_t total_runs() const { return offsets.empty() ? 0 : offsets.back(); }
  // Hands a file-backed band's pages back to the kernel (they are re-read on the next touch).
  // Whole bands, not windows: the kernel maps a faulting page's neighbours too (fault-around),
  // so pages of a window released before its neighbour was touched came back and stayed —
  // ~780 MB of a 1.1 GB global index by the end of a warm run.
  void release_band(int64_t b) const;
};

// In-memory budget for an index's runs (engine_limits(); NIGHTLIGHTS_INDEX_MEMORY_MB, default
// 128 MB): bands beyond it are written to a scratch file (TMPDIR) and mapped, so memory stays bounded on a
// global grid while a country's counties (~80 MB) stay in memory.
size_t index_memory_budget();

// Coverage of every zone, built one row of windows at a time: a zone is rasterised (in
// parallel with the others entering that band) when the bands reach its first row and dropped
// after its last, so only the zones crossing the current band are held. Consumes the rings.
CoverageIndex build_coverage_index(std::vector<std::vector<Ring>>&& zones, const WindowLayout& layout,
                                   CoverageMode mode, size_t memory_budget = index_memory_budget());

struct QualityMask {
  RasterInfo raster;
  double min_count = 1;
};

// Further inputs on the raster's grid, read with it window by window, and a pure per-pixel
// transform of every input's raw values into the value that is accumulated (then preprocessed
// as usual): `raw[0]` holds the raster's values and becomes the result, `raw[k]` input k's.
// A two-satellite DMSP year (calibrate each, combine), a saturation indicator, a cube's bands.
// `apply` runs on many threads at once (it must be pure); what it returns (e.g. saturated
// cells) is summed into ZonalResult::transform_count.
struct PixelTransform {
  std::vector<RasterInfo> inputs;
  std::function<int64_t(std::vector<xt::xtensor<double, 2>>& raw)> apply;
};

struct ZonalOptions {
  int threads = 0;  // 0: OpenMP's default
  double lit_threshold = 0;
  AccumulatorNeeds needs;  // optional accumulator parts (quantile sketch, centres) to fill
  PreprocessOptions preprocess;
  std::optional<QualityMask> quality;
  std::optional<PixelTransform> transform;
  // After each window, with the fraction of windows done (on MPI: of this rank's share).
  // Returning false cancels the run: it throws Cancelled, and no partial sum is returned.
  ProgressCallback progress;
  // This rank reads every window itself and shares nothing: under mpirun, when whole releases
  // go to ranks (batch runs with more releases than ranks), not windows.
  bool this_rank_only = false;
};

struct ZonalResult {
  std::vector<ZoneAccumulator> zones;
  int64_t cells_read = 0;
  // Valid cells read whose value after scale and offset is negative (before any negatives
  // policy): collection 2 Black Marble has shown them, and they are reported, never hidden.
  int64_t negative_cells = 0;
  int64_t windows_read = 0;
  int64_t transform_count = 0;  // the transform's counts, summed over windows and ranks
};

// Throws UserError on a read error in any window (the run never yields a partial sum).
ZonalResult run_zonal(const RasterInfo& raster, const CoverageIndex& index, const CellAreas& areas,
                      const ZonalOptions& options);

}  // namespace nl
