// The pieces of the zonal loop shared by run_zonal and run_zonal_bands (see zonal_parts.hpp).
#include "pipeline/engine/zonal_parts.hpp"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cmath>
#include <cstdio>

#include "pipeline/engine/cluster.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

ReadPlan plan_reads(const RasterInfo& raster, const CoverageIndex& index) {
  ReadPlan plan;
  const WindowLayout& tiles = index.layout;
  plan.reads = read_layout(tiles, raster.block_width, raster.block_height);
  const int64_t per_row = plan.reads.rows_per_window / tiles.rows_per_window;
  const int64_t per_col = plan.reads.cols_per_window / tiles.cols_per_window;
  std::vector<std::vector<size_t>> by_window(static_cast<size_t>(plan.reads.count()));
  for (int64_t t = 0; t < tiles.count(); ++t) {
    if (index.offsets[t + 1] == index.offsets[t]) continue;
    const int64_t r = t / tiles.window_cols() / per_row, c = t % tiles.window_cols() / per_col;
    by_window[static_cast<size_t>(r * plan.reads.window_cols() + c)].push_back(plan.tiles.size());
    plan.tiles.push_back(t);
  }
  for (size_t w = 0; w < by_window.size(); ++w)
    if (!by_window[w].empty()) {
      plan.windows.push_back(static_cast<int64_t>(w));
      plan.tiles_of_window.push_back(std::move(by_window[w]));
    }
  return plan;
}

BandReleaser::BandReleaser(const CoverageIndex& index, const ReadPlan& plan, size_t ranks, size_t my_rank)
    : index_(index), plan_(plan) {
  const int64_t bands = index.layout.count() ? index.layout.window_rows() : 0;
  left_ = std::make_unique<std::atomic<uint32_t>[]>(static_cast<size_t>(bands));
  for (size_t i = my_rank; i < plan.windows.size(); i += ranks)
    for (const size_t t : plan.tiles_of_window[i]) ++left_[static_cast<size_t>(plan.tiles[t] / index.layout.window_cols())];
}

void BandReleaser::tile_done(size_t t) {
  const int64_t band = plan_.tiles[t] / index_.layout.window_cols();
  if (--left_[static_cast<size_t>(band)] == 0) index_.release_band(band);
}

// Runs may come from a file: never let a damaged one index outside the tile or the zones.
void check_runs(std::span<const WindowRun> runs, const Window& tile, size_t zone_count, int64_t t) {
  for (const WindowRun& run : runs)
    if (run.zone >= zone_count || run.row < 0 || run.row >= tile.rows || run.col_begin < 0 ||
        run.col_end > tile.cols || run.col_begin >= run.col_end || !(run.fraction > 0 && run.fraction <= 1))
      throw UserError("the coverage index is damaged (tile " + std::to_string(t) +
                      "); delete the cache folder's .nlcov files or run with --no-cache");
}

// A fill value nobody declared as nodata (-3.4e38, -1e32) enters sums as if it were light and
// swamps them; no night-light product has radiance beyond ±1e30. Said once per raster.
void warn_of_fill_values(const RasterInfo& raster, const std::vector<ZoneAccumulator>& zones) {
  constexpr double kImplausible = 1e30;
  double lowest = HUGE_VAL, highest = -HUGE_VAL;
  size_t affected = 0;
  for (const ZoneAccumulator& z : zones) {
    if (!(z.count > 0)) continue;
    lowest = std::min(lowest, z.min);
    highest = std::max(highest, z.max);
    affected += (z.min < -kImplausible || z.max > kImplausible) ? 1 : 0;
  }
  if (affected == 0 || cluster::rank() != 0) return;
  const double v = lowest < -kImplausible ? lowest : highest;
  char value[32];
  std::snprintf(value, sizeof value, "%.7g", v);
  log_warning(raster.path + ": valid values as large as " + value + " entered the sums of " + std::to_string(affected) +
              " zone(s); this looks like a fill value not declared as nodata — pass --nodata " + value +
              " (preprocess.nodata in a run's configuration)");
}

// Valid raw values that scale and offset make negative (read per accumulation tile, once). It
// reads every cell of every tile, so two at a time with SSE2 (x86-64's baseline; the same IEEE
// operations as the scalar form, so the same count), and the rest one by one.
int64_t count_negative(const xt::xtensor<double, 2>& raw, const PreprocessOptions& p) {
  const double* values = raw.data();
  const size_t size = raw.size();
  const double nodata = p.nodata.value_or(0.0);
  auto counts = [&](double x) {
    return x - x == 0 && !(p.nodata && x == nodata) && x * p.scale + p.offset < 0;
  };
  size_t i = 0;
  int64_t n = 0;
#ifdef __SSE2__
  const __m128d zero = _mm_setzero_pd(), scale = _mm_set1_pd(p.scale), offset = _mm_set1_pd(p.offset);
  const __m128d fill_value = _mm_set1_pd(nodata);
  const __m128d fill_check = p.nodata ? _mm_castsi128_pd(_mm_set1_epi64x(-1)) : zero;
  __m128i lanes = _mm_setzero_si128();  // each lane counts down by one per negative cell
  for (; i + 2 <= size; i += 2) {
    const __m128d x = _mm_loadu_pd(values + i);
    const __m128d finite = _mm_cmpeq_pd(_mm_sub_pd(x, x), zero);
    const __m128d fill = _mm_and_pd(_mm_cmpeq_pd(x, fill_value), fill_check);
    const __m128d negative = _mm_cmplt_pd(_mm_add_pd(_mm_mul_pd(x, scale), offset), zero);
    lanes = _mm_add_epi64(lanes, _mm_castpd_si128(_mm_andnot_pd(fill, _mm_and_pd(finite, negative))));
  }
  int64_t lane[2];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lane), lanes);
  n = -(lane[0] + lane[1]);
#endif
  for (; i < size; ++i) n += counts(values[i]);
  return n;
}

std::string local_failure_text(const std::exception_ptr& failure, bool rethrow_here) {
  if (rethrow_here) std::rethrow_exception(failure);
  try {
    std::rethrow_exception(failure);
  } catch (const UserError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("internal error: ") + e.what();
  }
}

}  // namespace nl
