// count_negative (engine/zonal_parts): the valid cells that scale and offset make negative,
// counted two at a time with SSE2 and the rest one by one; checked against a plain count of the
// same rule for every length from 0 to 9 (each parity of the vector loop and its tail).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "pipeline/engine/zonal_parts.hpp"

namespace {

// The rule spelled out cell by cell: finite, not the nodata value, negative after scale/offset.
int64_t plain_count(const std::vector<double>& v, const nl::PreprocessOptions& p) {
  int64_t n = 0;
  for (const double x : v) {
    if (!std::isfinite(x)) continue;
    if (p.nodata && x == *p.nodata) continue;
    if (x * p.scale + p.offset < 0) ++n;
  }
  return n;
}

xt::xtensor<double, 2> row_of(const std::vector<double>& v) {
  xt::xtensor<double, 2> t = xt::zeros<double>({size_t{1}, v.size()});
  for (size_t i = 0; i < v.size(); ++i) t(0, i) = v[i];
  return t;
}

}  // namespace

TEST_CASE("count_negative: valid cells made negative, NaN, infinities and nodata left out") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  // 9 cells: -1 and -7 are negative as they are; -inf, NaN and the nodata value -9999 never count.
  const std::vector<double> cells{-1, 2, nan, -inf, -9999, 0, -7, inf, 3};
  nl::PreprocessOptions p;
  p.nodata = -9999;
  for (size_t n = 0; n <= cells.size(); ++n) {
    const std::vector<double> head(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(nl::count_negative(row_of(head), p) == plain_count(head, p));
  }
  CHECK(nl::count_negative(row_of(cells), p) == 2);  // -1 and -7
  // Without a nodata value, -9999 is a valid negative cell: 3.
  p.nodata.reset();
  CHECK(nl::count_negative(row_of(cells), p) == 3);
  // An offset of -2.5 makes 2 (2 - 2.5) and 0 negative as well: -1, 2, -9999, 0, -7 → 5.
  p.offset = -2.5;
  CHECK(nl::count_negative(row_of(cells), p) == 5);
  // A scale of -2 flips the signs: 2 and 3 become negative, 0 becomes -0 (not below 0) → 2.
  p.offset = 0;
  p.scale = -2;
  CHECK(nl::count_negative(row_of(cells), p) == 2);
  for (size_t n = 0; n <= cells.size(); ++n) {
    const std::vector<double> head(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(nl::count_negative(row_of(head), p) == plain_count(head, p));
  }
}
