// The pieces of the zonal loop that run_zonal (one band) and run_zonal_bands (a batch of a
// cube's bands read in one pass) share: the read plan, the check of runs from a file, the
// fill-value warning and the count of values made negative by scale and offset.
#pragma once
#include <atomic>
#include <memory>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "pipeline/engine/zonal_engine.hpp"

namespace nl {

// The read windows that hold at least one accumulation tile with runs, each with the positions
// (in `tiles`, ascending) of its tiles: reads are block-shaped, sums are tile-shaped.
struct ReadPlan {
  WindowLayout reads;
  std::vector<int64_t> tiles;  // accumulation tiles with runs, in tile order
  std::vector<int64_t> windows;                     // read windows with work, ascending
  std::vector<std::vector<size_t>> tiles_of_window;  // [i] positions in `tiles` of windows[i]
};

ReadPlan plan_reads(const RasterInfo& raster, const CoverageIndex& index);

// Counts down each band's planned tiles as threads finish them, in any order, and releases a
// band's pages (CoverageIndex::release_band) when its last tile is done. Only the tiles of this
// rank's read windows count (window i is rank i % ranks's).
class BandReleaser {
 public:
  BandReleaser(const CoverageIndex& index, const ReadPlan& plan, size_t ranks, size_t my_rank);
  void tile_done(size_t t);  // t: a position in plan.tiles; thread-safe

 private:
  const CoverageIndex& index_;
  const ReadPlan& plan_;
  std::unique_ptr<std::atomic<uint32_t>[]> left_;  // [band] tiles not yet done
};

// Runs may come from a file: never let a damaged one index outside the tile or the zones.
void check_runs(std::span<const WindowRun> runs, const Window& tile, size_t zone_count, int64_t t);

// A fill value nobody declared as nodata (-3.4e38, -1e32) enters sums as if it were light and
// swamps them; no night-light product has radiance beyond ±1e30. Said once per raster.
void warn_of_fill_values(const RasterInfo& raster, const std::vector<ZoneAccumulator>& zones);

// A window loop's failure on this process: rethrown here when `rethrow_here` (one process, or
// a call measuring for this rank only: nobody else to tell); otherwise its message for the
// job-wide error exchange, a UserError's text as it is and anything else as an internal error.
std::string local_failure_text(const std::exception_ptr& failure, bool rethrow_here);

// Valid raw values that scale and offset make negative (read per accumulation tile, once).
int64_t count_negative(const xt::xtensor<double, 2>& raw, const PreprocessOptions& p);

}  // namespace nl
