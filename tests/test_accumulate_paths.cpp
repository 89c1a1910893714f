// The accumulation loop's fast paths give the general path's bits: the nodata-only preprocessor
// against ValuePreprocessor cell by cell, and whole windows accumulated through either (runs
// that open with no data included, so the group's shift is found late).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "kernels/accumulator.hpp"
#include "kernels/preprocess.hpp"

namespace {

uint64_t bits(double x) { return std::bit_cast<uint64_t>(x); }

// Same bits, or both NaN (no data has one meaning whatever its payload).
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || bits(a) == bits(b); }

}  // namespace

TEST_CASE("accumulate: the nodata-only preprocessor gives ValuePreprocessor's value for every kind of cell") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double cells[] = {0.0, -0.0, 1.5, -1.5, -999.0, 3e300, -3e300, 5e-324, -5e-324, inf, -inf,
                          std::numeric_limits<double>::quiet_NaN()};
  for (const bool with_nodata : {false, true}) {
    nl::PreprocessOptions o;
    if (with_nodata) o.nodata = -999.0;
    REQUIRE(nl::NodataOnlyPreprocessor::applies(o));
    const nl::ValuePreprocessor general(o);
    const nl::NodataOnlyPreprocessor fast(o);
    for (const double x : cells) CHECK_MESSAGE(same(fast(x), general(x)), "cell " << x << ", nodata " << with_nodata);
  }
  // Any option beyond nodata leaves the general path in charge.
  nl::PreprocessOptions scaled;
  scaled.scale = 0.1;
  CHECK_FALSE(nl::NodataOnlyPreprocessor::applies(scaled));
  nl::PreprocessOptions zeroed;
  zeroed.negatives = nl::NegativePolicy::zero;
  CHECK_FALSE(nl::NodataOnlyPreprocessor::applies(zeroed));
  CHECK_THROWS(nl::NodataOnlyPreprocessor(zeroed));
}

TEST_CASE("accumulate: a window through the fast path has the general path's bits in every field") {
  // A floor of -inf changes no value (nothing is below it) but sends the window down the general
  // path, so the two runs differ only in the loop that ran.
  constexpr size_t kRows = 40, kCols = 64;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(-2.0, 60.0);
  xt::xtensor<double, 2> raw = xt::zeros<double>({kRows, kCols});
  for (double& x : raw) {
    const auto pick = rng() % 20;
    x = pick == 0 ? -999.0 : pick == 1 ? std::numeric_limits<double>::quiet_NaN() : value(rng);
  }
  // Zone 0's first two runs are all no data: its shift comes from the third.
  for (size_t c = 0; c < 20; ++c) raw(0, c) = raw(1, c) = -999.0;
  std::vector<nl::WindowRun> runs;
  for (uint32_t zone = 0; zone < 3; ++zone)
    for (int32_t row = 0; row < static_cast<int32_t>(kRows); ++row)
      runs.push_back({zone, row, static_cast<int32_t>(zone * 20), static_cast<int32_t>(zone * 20 + 20),
                      row % 3 == 0 ? 0.25 : 1.0});
  const std::vector<double> row_area(kRows, 0.37);
  xt::xtensor<double, 2> cell_area = xt::zeros<double>({kRows, kCols});
  for (size_t i = 0; i < cell_area.size(); ++i) cell_area.data()[i] = 0.3 + 0.001 * static_cast<double>(i % 97);

  nl::PreprocessOptions fast_options;
  fast_options.nodata = -999.0;
  nl::PreprocessOptions general_options = fast_options;
  general_options.floor = -std::numeric_limits<double>::infinity();
  REQUIRE(nl::NodataOnlyPreprocessor::applies(fast_options));
  REQUIRE_FALSE(nl::NodataOnlyPreprocessor::applies(general_options));

  for (const bool per_cell : {false, true}) {
    std::vector<std::pair<uint32_t, nl::ZoneAccumulator>> fast, general;
    if (per_cell) {
      nl::accumulate_window(raw, cell_area, runs, fast_options, 2.5, fast, {});
      nl::accumulate_window(raw, cell_area, runs, general_options, 2.5, general, {});
    } else {
      nl::accumulate_window(raw, row_area, runs, fast_options, 2.5, fast, {});
      nl::accumulate_window(raw, row_area, runs, general_options, 2.5, general, {});
    }
    REQUIRE(fast.size() == 3);
    REQUIRE(general.size() == 3);
    for (size_t z = 0; z < 3; ++z) {
      CHECK(fast[z].second.count > 0);
      std::vector<double> a, b;
      nl::pack_accumulator(fast[z].second, a);
      nl::pack_accumulator(general[z].second, b);
      REQUIRE(a.size() == b.size());
      for (size_t k = 0; k < a.size(); ++k)
        CHECK_MESSAGE(same(a[k], b[k]), "zone " << z << " field " << k << (per_cell ? " (cell areas)" : " (row areas)"));
    }
  }
}
