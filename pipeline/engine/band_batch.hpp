// A batch of a datacube's bands measured in one pass (`releases.band: each`): every read window
// is decoded once for all the batch's bands (and their paired quality bands), and the coverage
// runs of each accumulation tile are walked into each band's accumulators in turn. Each band's
// sums are the bits run_zonal gives for it alone, at any thread count: the same per-tile
// partials, merged in tile order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "pipeline/engine/zonal_engine.hpp"

namespace nl {

struct BandBatchResult {
  std::vector<ZonalResult> bands;  // one per band of the batch, as run_zonal gives it
  // Windows decoded for the whole batch (each decode reads every band of the batch, and the
  // quality cube's matching bands): one band's windows, not K times as many. Summed over ranks.
  int64_t windows_read = 0;
};

// `rasters[k]` is band k of the batch: all of one file, on one grid; `options[k]` its options
// (preprocessing and quality per band; the quality bands, when any band has one, all of one file
// too). Threads, progress, the centres and this_rank_only are the first band's. No transform.
// Throws UserError on a read error (naming the file, band and block), Cancelled when progress
// returns false; never a partial sum.
BandBatchResult run_zonal_bands(const std::vector<RasterInfo>& rasters, const CoverageIndex& index,
                                const CellAreas& areas, const std::vector<ZonalOptions>& options);

// Memory for one band batch's buffers and accumulators (NIGHTLIGHTS_BAND_BATCH_MB, default 64 MB).
size_t band_batch_memory_budget();

// How many bands of a cube one pass measures: K = budget / (memory one band adds), at least 1, at
// most `bands`. One band adds, per thread, its window in its own type and its quality band's
// (the read buffers), and its per-tile partial accumulators and its merged zones (held until
// the batch ends). On a country's 15″ grid with striped files (a window ~4 M cells) that keeps
// K at 1–2, so memory stays within a single band's targets; on a city cube K is all its bands.
size_t band_batch_size(const RasterInfo& raster, const std::optional<QualityMask>& quality, const CoverageIndex& index,
                       const ZonalOptions& options, size_t bands, size_t budget = band_batch_memory_budget());

}  // namespace nl
