// Exact, centre and all-touched coverage against independent references: analytic areas and
// per-cell Sutherland–Hodgman clipping.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>

#include "geometry_reference.hpp"
#include "kernels/coverage.hpp"

using namespace nl;
using namespace nl::testref;

namespace {

void check_exact_against_clipping(const std::vector<Ring>& rings, int w, int h) {
  const auto runs = polygon_coverage(rings, w, h, CoverageMode::exact);
  const auto got = dense(runs, w, h);
  const auto want = brute_force_fractions(rings, w, h);
  for (size_t i = 0; i < got.size(); ++i) {
    REQUIRE(got[i] >= 0.0);
    REQUIRE(got[i] <= 1.0);
    // Per-cell agreement; cells below the kernel's round-off floor are reported as 0.
    REQUIRE(got[i] == doctest::Approx(want[i]).epsilon(1e-9));
  }
  const double clipped = area_in_box(rings, 0, 0, w, h);
  CHECK(covered_cells(runs) == doctest::Approx(clipped).epsilon(1e-9));
}

// Centre-in-polygon by the even-odd rule, half-open in y, crossings at x <= centre.
bool centre_inside(const std::vector<Ring>& rings, double px, double py) {
  int crossings = 0;
  for (const auto& ring : rings) {
    const auto& p = ring.points;
    for (size_t i = 0; i < p.size(); ++i) {
      const CellPoint a = p[i], b = p[(i + 1) % p.size()];
      if (a.y == b.y) continue;
      if (!(std::min(a.y, b.y) <= py && py < std::max(a.y, b.y))) continue;
      const double x = a.x + (py - a.y) * (b.x - a.x) / (b.y - a.y);
      if (x <= px) ++crossings;
    }
  }
  return crossings % 2 == 1;
}

void check_center_and_all_touched(const std::vector<Ring>& rings, int w, int h) {
  const auto center = dense(polygon_coverage(rings, w, h, CoverageMode::center), w, h);
  const auto exact = dense(polygon_coverage(rings, w, h, CoverageMode::exact), w, h);
  const auto touched = dense(polygon_coverage(rings, w, h, CoverageMode::all_touched), w, h);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const size_t i = static_cast<size_t>(r) * w + c;
      REQUIRE(center[i] == (centre_inside(rings, c + 0.5, r + 0.5) ? 1.0 : 0.0));
      REQUIRE(touched[i] == (exact[i] > kMinCoverageFraction ? 1.0 : 0.0));
    }
}

}  // namespace

TEST_CASE("coverage: a cell-aligned unit square covers exactly one cell") {
  const auto runs = polygon_coverage({box(3, 2, 4, 3)}, 10, 10, CoverageMode::exact);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0] == CoverageRun{2, 3, 4, 1.0});
}

TEST_CASE("coverage: a square offset by half a cell gives quarters, halves and a whole") {
  // [0.5, 2.5]²: 4 corner cells × 0.25, 4 edge cells × 0.5, 1 centre cell × 1 = area 4.
  const auto f = dense(polygon_coverage({box(0.5, 0.5, 2.5, 2.5)}, 3, 3, CoverageMode::exact), 3, 3);
  const std::vector<double> want{0.25, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.25};
  for (size_t i = 0; i < 9; ++i) CHECK(f[i] == doctest::Approx(want[i]).epsilon(1e-15));
}

TEST_CASE("coverage: right triangle halves the diagonal cells") {
  // (0,0),(4,0),(0,4): area 8; cells on the diagonal c + r = 3 are cut in half.
  const Ring tri{{{0, 0}, {4, 0}, {0, 4}}, false};
  const auto f = dense(polygon_coverage({tri}, 4, 4, CoverageMode::exact), 4, 4);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const double want = c + r < 3 ? 1.0 : (c + r == 3 ? 0.5 : 0.0);
      CHECK(f[r * 4 + c] == doctest::Approx(want).epsilon(1e-15));
    }
  check_exact_against_clipping({tri}, 4, 4);
}

TEST_CASE("coverage: polygon with a hole: 10x10 minus 5x5 = 75 cells") {
  const std::vector<Ring> rings{box(0, 0, 10, 10), box(2.5, 2.5, 7.5, 7.5, true)};
  const auto runs = polygon_coverage(rings, 12, 12, CoverageMode::exact);
  CHECK(covered_cells(runs) == doctest::Approx(75.0).epsilon(1e-12));
  check_exact_against_clipping(rings, 12, 12);
  check_center_and_all_touched(rings, 12, 12);
}

TEST_CASE("coverage: ring orientation does not matter") {
  Ring cw = box(0.3, 0.7, 5.9, 4.2);
  Ring ccw = cw;
  std::reverse(ccw.points.begin(), ccw.points.end());
  CHECK(polygon_coverage({cw}, 8, 8, CoverageMode::exact) == polygon_coverage({ccw}, 8, 8, CoverageMode::exact));
  Ring hole = box(1, 1, 2, 2, true);
  Ring hole_rev = hole;
  std::reverse(hole_rev.points.begin(), hole_rev.points.end());
  CHECK(covered_cells(polygon_coverage({cw, hole}, 8, 8, CoverageMode::exact)) ==
        doctest::Approx(5.6 * 3.5 - 1).epsilon(1e-12));
  CHECK(covered_cells(polygon_coverage({ccw, hole_rev}, 8, 8, CoverageMode::exact)) ==
        doctest::Approx(5.6 * 3.5 - 1).epsilon(1e-12));
}

TEST_CASE("coverage: multipolygon of two disjoint parts adds their areas") {
  std::mt19937 rng(7);
  const std::vector<Ring> rings{random_star(rng, 5, 5, 1.5, 3.5, 40), random_star(rng, 15.2, 11.7, 2, 4, 55)};
  check_exact_against_clipping(rings, 20, 16);
  check_center_and_all_touched(rings, 20, 16);
}

TEST_CASE("coverage: polygon crossing every raster edge is clipped exactly") {
  // [-2.5, 6.5] × [-1.25, 7.75] over a 5 × 6 grid: clipped to [0,5] × [0,6] = 30 cells.
  const auto runs = polygon_coverage({box(-2.5, -1.25, 6.5, 7.75)}, 5, 6, CoverageMode::exact);
  CHECK(covered_cells(runs) == doctest::Approx(30.0).epsilon(1e-12));
  std::mt19937 rng(11);
  check_exact_against_clipping({random_star(rng, 1.0, 2.0, 2.0, 6.0, 80)}, 7, 6);
  check_exact_against_clipping({random_star(rng, 6.5, 5.5, 2.0, 6.0, 80)}, 7, 6);
}

TEST_CASE("coverage: polygon entirely outside the raster covers nothing") {
  CHECK(polygon_coverage({box(-5, -5, -1, -1)}, 4, 4, CoverageMode::exact).empty());
  CHECK(polygon_coverage({box(10, 1, 12, 2)}, 4, 4, CoverageMode::exact).empty());
  CHECK(polygon_coverage({box(1, 10, 2, 12)}, 4, 4, CoverageMode::center).empty());
}

TEST_CASE("coverage: polygon inside one cell gives that cell its area") {
  const Ring tri{{{3.1, 4.2}, {3.7, 4.25}, {3.3, 4.9}}, false};
  const double area = std::abs(shoelace(tri.points));
  const auto runs = polygon_coverage({tri}, 8, 8, CoverageMode::exact);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].row == 4);
  CHECK(runs[0].col_begin == 3);
  CHECK(runs[0].fraction == doctest::Approx(area).epsilon(1e-12));
  // Its centre (3.5, 4.5) is inside this triangle? The brute-force rule decides; all-touched is 1.
  check_center_and_all_touched({tri}, 8, 8);
}

TEST_CASE("coverage: 10,000-vertex circle sums to the polygon's area within 1e-9") {
  const int n = 10000;
  const double r = 30.2, cx = 50.3, cy = 40.7;
  Ring circle;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * std::numbers::pi * i / n;
    circle.points.push_back({cx + r * std::cos(t), cy + r * std::sin(t)});
  }
  // Area of a regular n-gon inscribed in radius r: n/2 · r² · sin(2π/n).
  const double polygon_area = n / 2.0 * r * r * std::sin(2 * std::numbers::pi / n);
  const auto runs = polygon_coverage({circle}, 100, 90, CoverageMode::exact);
  CHECK(covered_cells(runs) == doctest::Approx(polygon_area).epsilon(1e-9));
  for (const auto& run : runs) {
    REQUIRE(run.fraction > 0.0);
    REQUIRE(run.fraction <= 1.0);
  }
  // The same circle cut by the raster's right edge: compare with clipping.
  const auto cut = polygon_coverage({circle}, 70, 90, CoverageMode::exact);
  CHECK(covered_cells(cut) == doctest::Approx(area_in_box({circle}, 0, 0, 70, 90)).epsilon(1e-9));
}

TEST_CASE("coverage: random star polygons match per-cell clipping to 1e-9") {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 20; ++trial) {
    std::uniform_real_distribution<double> centre(-2.0, 14.0);
    const Ring star = random_star(rng, centre(rng), centre(rng), 0.2, 7.0, 3 + trial * 5);
    check_exact_against_clipping({star}, 13, 11);
    check_center_and_all_touched({star}, 13, 11);
  }
}

TEST_CASE("coverage: centres on edges follow the half-open rule consistently") {
  // Vertices on half-integers put cell centres exactly on edges.
  const std::vector<Ring> rings{box(0.5, 0.5, 4.5, 3.5), Ring{{{5.5, 0.5}, {8.5, 3.5}, {5.5, 3.5}}, false}};
  check_center_and_all_touched(rings, 10, 5);
  // Two squares sharing an edge: every centre is claimed by exactly one of them.
  const Ring left = box(0.5, 0.5, 2.5, 3.5), right = box(2.5, 0.5, 4.5, 3.5);
  const auto l = dense(polygon_coverage({left}, 6, 5, CoverageMode::center), 6, 5);
  const auto rr = dense(polygon_coverage({right}, 6, 5, CoverageMode::center), 6, 5);
  for (size_t i = 0; i < l.size(); ++i) REQUIRE(l[i] + rr[i] <= 1.0);
}

TEST_CASE("coverage: edges on grid lines give no spurious touched cells") {
  const auto runs = polygon_coverage({box(2, 1, 5, 3)}, 8, 6, CoverageMode::all_touched);
  CHECK(covered_cells(runs) == doctest::Approx(6.0));
}

TEST_CASE("coverage: mode names parse and print") {
  CHECK(parse_coverage_mode("exact") == CoverageMode::exact);
  CHECK(parse_coverage_mode("all-touched") == CoverageMode::all_touched);
  CHECK(std::string(coverage_mode_name(CoverageMode::center)) == "center");
  CHECK_THROWS_AS(parse_coverage_mode("fuzzy"), std::invalid_argument);
}
