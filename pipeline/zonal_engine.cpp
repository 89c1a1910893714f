#include "pipeline/zonal_engine.hpp"

#include <omp.h>

#include <sys/mman.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <exception>
#include <mutex>

#include "kernels/cell_area.hpp"
#include "pipeline/cluster.hpp"
#include "pipeline/diagnostics.hpp"

namespace nl {

namespace {

// Splits a zone's coverage runs at window columns, calling emit(window, run) for the runs in rows
// [row_begin, row_end) (one row of windows), left to right.
template <typename Emit>
void split_runs_for_window_row(const std::vector<CoverageRun>& runs, uint32_t zone, int64_t wrow,
                               const WindowLayout& layout, Emit&& emit) {
  const int64_t rpw = layout.rows_per_window, cpw = layout.cols_per_window, wcols = layout.window_cols();
  const int64_t row_begin = wrow * rpw, row_end = row_begin + rpw;
  auto it = std::lower_bound(runs.begin(), runs.end(), row_begin,
                             [](const CoverageRun& r, int64_t row) { return r.row < row; });
  for (; it != runs.end() && it->row < row_end; ++it) {
    const auto local_row = static_cast<int32_t>(it->row - row_begin);
    int64_t c = it->col_begin;
    while (c < it->col_end) {
      const int64_t wcol = c / cpw, col0 = wcol * cpw;
      const int64_t end = std::min<int64_t>(it->col_end, col0 + cpw);
      emit(static_cast<size_t>(wrow * wcols + wcol),
           WindowRun{zone, local_row, static_cast<int32_t>(c - col0), static_cast<int32_t>(end - col0), it->fraction});
      c = end;
    }
  }
}

// The index's array: one allocation of its exact size, backed by transparent huge pages where the
// kernel offers them — first-touch page faults on ~100 MB of runs were a tenth of a cold run on
// a virtual machine.
WindowRun* allocate_runs(size_t count) {
  constexpr size_t kHugePage = size_t(2) << 20;
  const size_t bytes = (count * sizeof(WindowRun) + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, bytes);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without THP the pages are ordinary
#endif
  return static_cast<WindowRun*>(p);
}

}  // namespace

CoverageIndex build_coverage_index(std::vector<std::vector<Ring>>&& zones, const WindowLayout& layout,
                                   CoverageMode mode) {
  CoverageIndex index;
  index.layout = layout;
  index.mode = mode;
  index.zone_count = zones.size();
  const auto nwindows = static_cast<size_t>(layout.count());
  const int64_t wrows = layout.window_rows();
  // Count, then fill the flat array in place: no per-window vectors growing and copying. Zones go
  // in chunks so the coverage kept between the two passes stays bounded; with one chunk (a
  // country's counties) it is computed once, with several (a global grid) it is computed again
  // for the fill — time traded for memory only when memory demands it. Each window belongs to one
  // row of windows, filled by one thread taking zones in order: runs stay grouped by zone.
  const size_t chunk = 4096;
  const bool one_chunk = zones.size() <= chunk;
  std::vector<std::vector<CoverageRun>> coverage(std::min(chunk, zones.size()));
  auto compute_chunk = [&](size_t first, size_t n) {
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t k = 0; k < n; ++k) {
      coverage[k] = polygon_coverage(zones[first + k], layout.width, layout.height, mode);
      // Rings not needed again are released as their coverage grows: the peak holds one of the two.
      if (one_chunk) std::vector<Ring>().swap(zones[first + k]);
    }
  };
  std::vector<uint64_t> counts(nwindows, 0);
  for (size_t first = 0; first < zones.size(); first += chunk) {
    const size_t n = std::min(chunk, zones.size() - first);
    compute_chunk(first, n);
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t wrow = 0; wrow < wrows; ++wrow)
      for (size_t k = 0; k < n; ++k)
        split_runs_for_window_row(coverage[k], 0, wrow, layout, [&](size_t w, const WindowRun&) { ++counts[w]; });
  }
  index.offsets.assign(nwindows + 1, 0);
  for (size_t w = 0; w < nwindows; ++w) index.offsets[w + 1] = index.offsets[w] + counts[w];
  if (index.offsets.back() == 0) return index;
  index.storage.reset(allocate_runs(index.offsets.back()));
  WindowRun* storage = index.storage.get();
  std::vector<uint64_t> cursor(index.offsets.begin(), index.offsets.end() - 1);
  for (size_t first = 0; first < zones.size(); first += chunk) {
    const size_t n = std::min(chunk, zones.size() - first);
    if (!one_chunk) compute_chunk(first, n);
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t wrow = 0; wrow < wrows; ++wrow)
      for (size_t k = 0; k < n; ++k)
        split_runs_for_window_row(coverage[k], static_cast<uint32_t>(first + k), wrow, layout,
                                  [&](size_t w, const WindowRun& run) { storage[cursor[w]++] = run; });
  }
  return index;
}

std::vector<double> raster_row_areas_km2(const RasterInfo& raster) {
  if (raster.geographic) return geographic_row_cell_areas_km2(raster.grid);
  if (!raster.equal_area)
    log_warning(raster.path + ": projected grid that is not equal-area; using the nominal cell area "
                "from the geotransform, which overstates or understates true areas away from the "
                "projection's standard lines — warp to an equal-area or lon/lat grid for true areas");
  const double unit = raster.linear_unit_m;
  const double area = std::abs(raster.grid.cell_width * raster.grid.cell_height) * unit * unit * 1e-6;
  return std::vector<double>(static_cast<size_t>(raster.grid.height), area);
}

ZonalResult run_zonal(const RasterInfo& raster, const CoverageIndex& index,
                      const std::vector<double>& row_area_km2, const ZonalOptions& options) {
  const int64_t nwindows = index.layout.count();
  std::vector<int64_t> todo;
  for (int64_t w = 0; w < nwindows; ++w)
    if (index.offsets[w + 1] > index.offsets[w]) todo.push_back(w);
  std::vector<std::vector<std::pair<uint32_t, ZoneAccumulator>>> partials(todo.size());

  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<bool> failed{false};
  std::atomic<int64_t> done{0};
  Progress progress(options.progress);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  PreprocessOptions quality_preprocess;
  if (options.quality) quality_preprocess.nodata = options.quality->raster.nodata;

#pragma omp parallel num_threads(threads)
  {
    std::unique_ptr<RasterReader> reader, quality_reader;
    xt::xtensor<double, 2> values, quality;
    try {
      reader = std::make_unique<RasterReader>(raster);
      if (options.quality) quality_reader = std::make_unique<RasterReader>(options.quality->raster);
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
    }
    // Ranks take windows round-robin; threads share a rank's windows dynamically.
    const size_t ranks = static_cast<size_t>(cluster::size()), my_rank = static_cast<size_t>(cluster::rank());
#pragma omp for schedule(dynamic, 1)
    for (size_t t = 0; t < todo.size(); ++t) {
      if (failed || t % ranks != my_rank) continue;
      try {
        const Window win = index.layout.window(todo[t]);
        reader->read(win, values);
        if (quality_reader) {
          quality_reader->read(win, quality);
          preprocess_window(quality, quality_preprocess);
          apply_quality_mask(values, quality, options.quality->min_count);
        }
        const std::span<const double> areas(row_area_km2.data() + win.row0, static_cast<size_t>(win.rows));
        // Runs may come from a file: never let a damaged one index outside the window or zones.
        const auto runs = index.window_runs(todo[t]);
        for (const WindowRun& run : runs)
          if (run.zone >= index.zone_count || run.row < 0 || run.row >= win.rows || run.col_begin < 0 ||
              run.col_end > win.cols || run.col_begin >= run.col_end || !(run.fraction > 0 && run.fraction <= 1))
            throw UserError("the coverage index is damaged (window " + std::to_string(todo[t]) +
                            "); delete the cache folder's .nlcov files or run with --no-cache");
        accumulate_window(values, areas, runs, options.preprocess, options.lit_threshold, partials[t]);
        if (options.after_window) options.after_window();
        progress.update(static_cast<double>(++done) / static_cast<double>(todo.size()));
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        failed = true;
      }
    }
  }
  std::string local_error;
  if (failure) {
    if (cluster::size() == 1) std::rethrow_exception(failure);
    try {
      std::rethrow_exception(failure);
    } catch (const UserError& e) {
      local_error = e.what();
    } catch (const std::exception& e) {
      local_error = std::string("internal error: ") + e.what();
    }
  }
  // Every rank's partials reach rank 0, which merges them in window order: the same bits for
  // any number of ranks and threads.
  cluster::gather_partials(partials, local_error);
  progress.finish();

  ZonalResult result;
  result.zones.resize(index.zone_count);
  for (size_t t = 0; t < todo.size(); ++t) {
    for (const auto& [zone, acc] : partials[t]) result.zones[zone].merge(acc);
    result.cells_read += index.layout.window(todo[t]).cells();
  }
  cluster::broadcast_accumulators(result.zones);
  result.windows_read = static_cast<int64_t>(todo.size());
  return result;
}

}  // namespace nl
