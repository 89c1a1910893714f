// Quantiles on real data: the China DMSP raster (bilinear-resampled floats, so the log-bucket
// sketch applies) × the counties, against an exact weighted quantile computed here by sorting
// every covered cell of 50 counties; and on an integer-DN copy of it, where they must be exact.
#include <doctest/doctest.h>

#include <algorithm>

#include "kernels/preprocess.hpp"
#include "kernels/statistics_registry.hpp"
#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/engine/zonal_engine.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

// The README's rule, by sorting (value, weight) pairs: the smallest value whose cumulative weight
// reaches q·W; the middle of it and the next where it meets q·W exactly.
double sorted_quantile(std::vector<std::pair<double, double>> xw, double q) {
  std::sort(xw.begin(), xw.end());
  std::vector<std::pair<double, double>> d;
  for (const auto& [x, w] : xw) {
    if (!d.empty() && d.back().first == x) d.back().second += w;
    else d.push_back({x, w});
  }
  double total = 0, c = 0;
  for (const auto& e : d) total += e.second;
  for (size_t i = 0; i < d.size(); ++i) {
    c += d[i].second;
    if (c >= q * total) return c == q * total && i + 1 < d.size() ? (d[i].first + d[i + 1].first) / 2 : d[i].first;
  }
  return d.back().first;
}

// Every 57th county (50 of 2,884): median, p90 and median_area from the engine against sorting.
void compare_on(const std::string& raster_path, bool expect_exact) {
  const std::string d = shared_data();
  const nl::RasterInfo raster = nl::inspect_raster(raster_path, 1, "");
  nl::ZoneSource zones{d + "/china-counties/china-counties-amap2020-gcj02.gpkg", "district", "adcode", {}, "",
                       nl::Datum::gcj02};
  const auto prepared = nl::prepare_zones_cached({zones}, raster, nl::CoverageMode::exact, nl::CoverageCache{"", false});
  const nl::CoverageIndex& index = prepared.index;
  const nl::CellAreas areas = nl::raster_cell_areas(raster);
  REQUIRE_FALSE(areas.per_cell);
  nl::PreprocessOptions pre;
  pre.nodata = raster.nodata;
  const nl::ValuePreprocessor physical(pre);

  // Brute force first (the engine releases the index's windows as it goes).
  std::vector<std::vector<std::pair<double, double>>> by_cover(index.zone_count), by_area(index.zone_count);
  nl::RasterReader reader(raster);
  xt::xtensor<double, 2> values;
  for (int64_t w = 0; w < index.layout.count(); ++w) {
    const nl::Window win = index.layout.window(w);
    const auto runs = index.window_runs(w);
    if (runs.empty()) continue;
    reader.read(win, values);
    for (const auto& r : runs) {
      if (r.zone % 57 != 0) continue;
      for (int32_t c = r.col_begin; c < r.col_end; ++c) {
        const double x = physical(values(static_cast<size_t>(r.row), static_cast<size_t>(c)));
        if (std::isnan(x)) continue;
        by_cover[r.zone].push_back({x, r.fraction});
        by_area[r.zone].push_back({x, r.fraction * areas.row_km2[static_cast<size_t>(win.row0 + r.row)]});
      }
    }
  }
  nl::ZonalOptions options;
  options.threads = 2;
  options.preprocess = pre;
  options.needs.sketch = true;
  const nl::ZonalResult result = nl::run_zonal(raster, index, areas, options);
  const auto median = nl::parse_statistic("median"), p90 = nl::parse_statistic("p90"),
             median_area = nl::parse_statistic("median_area");
  int compared = 0, log_bucketed = 0;
  for (uint32_t z = 0; z < index.zone_count; z += 57) {
    if (by_cover[z].empty()) continue;
    const auto& acc = result.zones[z];
    // An integer band gives an exact histogram; on the float band so does a county whose cells
    // are all integers (dark western counties: all 0), the others are log buckets.
    if (expect_exact) CHECK(acc.sketch.exact());
    log_bucketed += !acc.sketch.exact();
    for (const auto& [s, q, area] : {std::tuple{median, 0.5, false}, {p90, 0.9, false}, {median_area, 0.5, true}}) {
      const double want = sorted_quantile(area ? by_area[z] : by_cover[z], q);
      const double got = *nl::statistic_value(acc, s);
      INFO("county " << prepared.layers[0].ids[z] << " " << nl::statistic_name(s) << ": engine " << got << ", sorted " << want);
      if (expect_exact) CHECK(got == want);
      else CHECK(std::abs(got - want) <= nl::QuantileSketch::kRelativeError * std::abs(want));
    }
    ++compared;
  }
  CHECK(compared >= 48);  // 51 counties picked; a few islands may miss the 5′ grid
  if (!expect_exact) CHECK(log_bucketed >= 40);  // the sketch is what was tested
}

}  // namespace

TEST_CASE("quantiles on China DMSP: medians and p90 of 50 counties within 2^-8 of a sort of their cells (floats), exact on integer DN") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found at " << shared_data() << "; skipped");
    return;
  }
  const std::string raster = shared_data() + "/china-dmsp/china-dmsp-harmonized-2008-5arcmin.tif";
  compare_on(raster, false);
  // The integer-DN raster: the same values rounded to Int16 (nodata −3.4e38 clamps to −32768).
  const std::string dir = temp_dir("quantiles-dmsp");
  translate(raster, dir + "/dn.tif", {"-ot", "Int16", "-a_nodata", "-32768"});
  compare_on(dir + "/dn.tif", true);
}
