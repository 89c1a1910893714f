// A batch of a cube's bands in one pass (see band_batch.hpp): the loop of run_zonal with every
// window decoded once for K bands and each tile's runs fed to K accumulator sets.
#include "pipeline/engine/band_batch.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>

#include "pipeline/engine/cluster.hpp"
#include "pipeline/engine/zonal_parts.hpp"
#include "pipeline/engine/engine_limits.hpp"
#include "pipeline/io/band_batch_reader.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

size_t band_batch_memory_budget() { return engine_limits().band_batch_memory_bytes; }

namespace {

// Bytes of one pixel of a GDAL type by its name (the engine does not call GDAL itself).
size_t type_bytes(const std::string& name) {
  if (name == "Byte" || name == "Int8") return 1;
  if (name == "UInt16" || name == "Int16") return 2;
  if (name == "UInt32" || name == "Int32" || name == "Float32") return 4;
  return 8;
}

// The bands' per-tile partials, merged in tile order (after the ranks' exchange): the bits of
// run_zonal for each band alone.
struct BatchState {
  const std::vector<RasterInfo>& rasters;
  const CoverageIndex& index;
  const CellAreas& areas;
  const std::vector<ZonalOptions>& options;
  ReadPlan plan;
  std::vector<RasterInfo> quality;  // band k's quality band, when the bands have quality
  std::vector<PreprocessOptions> quality_preprocess;
  std::vector<std::vector<cluster::WindowPartials>> partials;  // [band][tile]
  std::vector<std::atomic<int64_t>> negative;                  // [band]
  std::optional<GridCentres> centres;
  std::atomic<int64_t> decoded{0}, done{0};
  size_t ranks = 1, my_rank = 0;
  std::unique_ptr<BandReleaser> bands_left;  // once ranks are known
};

struct ThreadBuffers {
  std::unique_ptr<BandBatchReader> reader, quality_reader;
  std::unique_ptr<CellAreaCalculator> cell_areas;
  xt::xtensor<double, 2> values, quality, cell_area;
};

// Read window i once for every band (and quality band), then each of its tiles for each band.
void measure_window(BatchState& s, ThreadBuffers& b, size_t i) {
  const Window read = s.plan.reads.window(s.plan.windows[i]);
  b.reader->read(read);
  if (b.quality_reader) b.quality_reader->read(read);
  ++s.decoded;
  const ZonalOptions& first = s.options.front();
  for (const size_t t : s.plan.tiles_of_window[i]) {
    const Window tile = s.index.layout.window(s.plan.tiles[t]);
    const auto runs = s.index.window_runs(s.plan.tiles[t]);
    check_runs(runs, tile, s.index.zone_count, s.plan.tiles[t]);
    CellCentres tile_centres;
    WindowExtras extras{first.needs, nullptr};
    if (s.centres) {
      tile_centres = s.centres->window(tile);
      extras.centres = &tile_centres;
    }
    if (b.cell_areas) b.cell_areas->window_km2(tile, b.cell_area);  // one grid: the same for every band
    const std::span<const double> rows(s.areas.row_km2.data() + (b.cell_areas ? 0 : tile.row0),
                                       b.cell_areas ? 0 : static_cast<size_t>(tile.rows));
    for (size_t k = 0; k < s.rasters.size(); ++k) {
      const ZonalOptions& o = s.options[k];
      b.reader->copy_to(k, tile, b.values);
      s.negative[k] += count_negative(b.values, o.preprocess);
      if (b.quality_reader) {
        b.quality_reader->copy_to(k, tile, b.quality);
        preprocess_window(b.quality, s.quality_preprocess[k]);
        apply_quality_mask(b.values, b.quality, o.quality->min_count);
      }
      if (b.cell_areas)
        accumulate_window(b.values, b.cell_area, runs, o.preprocess, o.lit_threshold, s.partials[k][t], extras);
      else
        accumulate_window(b.values, rows, runs, o.preprocess, o.lit_threshold, s.partials[k][t], extras);
    }
    s.bands_left->tile_done(t);
  }
}

void check_batch(const std::vector<RasterInfo>& rasters, const std::vector<ZonalOptions>& options) {
  if (rasters.empty() || rasters.size() != options.size())
    throw std::logic_error("run_zonal_bands: one ZonalOptions per band, at least one band");
  for (size_t k = 0; k < rasters.size(); ++k) {
    if (rasters[k].path != rasters[0].path || !rasters[k].grid.same_grid(rasters[0].grid) ||
        rasters[k].block_width != rasters[0].block_width || rasters[k].block_height != rasters[0].block_height)
      throw std::logic_error("run_zonal_bands: the bands of a batch are of one file and grid");
    if (options[k].transform) throw std::logic_error("run_zonal_bands: no pixel transform in a band batch");
    if (options[k].quality.has_value() != options[0].quality.has_value() ||
        (options[k].quality && options[k].quality->raster.path != options[0].quality->raster.path))
      throw std::logic_error("run_zonal_bands: the quality bands of a batch are of one file");
  }
}

}  // namespace

BandBatchResult run_zonal_bands(const std::vector<RasterInfo>& rasters, const CoverageIndex& index,
                                const CellAreas& areas, const std::vector<ZonalOptions>& options) {
  check_batch(rasters, options);
  const size_t K = rasters.size();
  const ZonalOptions& first = options.front();
  BatchState s{rasters, index, areas, options, plan_reads(rasters.front(), index), {}, {}, {},
               std::vector<std::atomic<int64_t>>(K), {}, {}, {}, 1, 0, nullptr};
  s.partials.assign(K, std::vector<cluster::WindowPartials>(s.plan.tiles.size()));
  for (const ZonalOptions& o : options)
    if (o.quality) {
      s.quality.push_back(o.quality->raster);
      s.quality_preprocess.emplace_back().nodata = o.quality->raster.nodata;
    }
  if (first.needs.centre) {
    if (!rasters.front().geographic)
      throw UserError(rasters.front().path + ": light_lon/light_lat/area_lon/area_lat need a lon/lat raster grid");
    s.centres.emplace(rasters.front().grid);
  }
  // Ranks take read windows round-robin, as in run_zonal; threads share a rank's dynamically.
  s.ranks = first.this_rank_only ? 1 : static_cast<size_t>(cluster::size());
  s.my_rank = first.this_rank_only ? 0 : static_cast<size_t>(cluster::rank());
  s.bands_left = std::make_unique<BandReleaser>(s.index, s.plan, s.ranks, s.my_rank);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<bool> failed{false};
  auto fail = [&] {
    std::lock_guard lock(failure_mutex);
    if (!failure) failure = std::current_exception();
    failed = true;
  };
  const int threads = first.threads > 0 ? first.threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    ThreadBuffers b;
    try {
      b.reader = std::make_unique<BandBatchReader>(rasters);
      if (!s.quality.empty()) b.quality_reader = std::make_unique<BandBatchReader>(s.quality);
      if (areas.per_cell) b.cell_areas = std::make_unique<CellAreaCalculator>(rasters.front());
    } catch (...) {
      fail();
    }
#pragma omp for schedule(dynamic, 1)
    for (size_t i = 0; i < s.plan.windows.size(); ++i) {
      if (failed || i % s.ranks != s.my_rank) continue;
      try {
        measure_window(s, b, i);
        const double fraction = static_cast<double>(++s.done) * static_cast<double>(s.ranks) /
                                static_cast<double>(s.plan.windows.size());
        if (first.progress && !first.progress(std::min(fraction, 1.0))) throw Cancelled();
      } catch (...) {
        fail();
      }
    }
  }
  const std::string local_error =
      failure ? local_failure_text(failure, cluster::size() == 1 || first.this_rank_only) : std::string();
  BandBatchResult out;
  out.bands.resize(K);
  for (size_t k = 0; k < K; ++k) {
    // Band by band, every rank in the same order: the first exchange carries any rank's error.
    if (!first.this_rank_only) cluster::gather_partials(s.partials[k], k == 0 ? local_error : std::string());
    ZonalResult& r = out.bands[k];
    r.zones.resize(index.zone_count);
    for (auto& tile : s.partials[k])
      for (auto& [zone, acc] : tile) {
        r.zones[zone].merge(acc);
        acc = ZoneAccumulator();  // free its sketch now: only the merged ones are kept
      }
    for (const int64_t w : s.plan.windows) r.cells_read += s.plan.reads.window(w).cells();
    if (!first.this_rank_only) cluster::broadcast_accumulators(r.zones);
    r.windows_read = static_cast<int64_t>(s.plan.windows.size());
    r.negative_cells = first.this_rank_only ? s.negative[k].load() : cluster::sum_over_ranks(s.negative[k].load());
    warn_of_fill_values(rasters[k], r.zones);
  }
  out.windows_read = first.this_rank_only ? s.decoded.load() : cluster::sum_over_ranks(s.decoded.load());
  return out;
}

size_t band_batch_size(const RasterInfo& raster, const std::optional<QualityMask>& quality, const CoverageIndex& index,
                       const ZonalOptions& options, size_t bands, size_t budget) {
  if (bands <= 1) return bands;
  const ReadPlan plan = plan_reads(raster, index);
  const WindowLayout& reads = plan.reads;  // the largest window (a small cube's is the whole cube)
  const auto window_cells = static_cast<size_t>(std::min(reads.rows_per_window, reads.height) *
                                                std::min(reads.cols_per_window, reads.width));
  const auto threads = static_cast<size_t>(options.threads > 0 ? options.threads : omp_get_max_threads());
  const size_t pixel = type_bytes(raster.data_type) + (quality ? type_bytes(quality->raster.data_type) : 0);
  // Partials: one accumulator per (tile, zone with runs in it); runs are grouped by zone.
  size_t entries = index.zone_count;
  for (const int64_t t : plan.tiles) {
    const auto runs = index.window_runs(t);
    for (size_t r = 0; r < runs.size(); ++r) entries += (r == 0 || runs[r].zone != runs[r - 1].zone) ? 1 : 0;
  }
  // A quantile sketch is counted at 1 KiB (a few dozen buckets), its usual size per zone.
  const size_t accumulator = sizeof(ZoneAccumulator) + (options.needs.sketch ? 1024 : 0);
  const size_t per_band = threads * window_cells * pixel + entries * accumulator;
  return std::clamp<size_t>(budget / std::max<size_t>(per_band, 1), 1, bands);
}

}  // namespace nl
