// Ellipsoidal cell areas against DESIGN.md's published values and the WGS84 surface area.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "kernels/cell_area.hpp"

using namespace nl;

TEST_CASE("cell area: 15 arc-second cells at 0, 25, 40, 53.5 degrees N (WGS84)") {
  const double d = 1.0 / 240.0;
  // Values from DESIGN.md (area between two parallels on the WGS84 ellipsoid).
  const double lat[] = {0.0, 25.0, 40.0, 53.5};
  const double want[] = {0.213699, 0.194141, 0.164612, 0.128220};
  for (int i = 0; i < 4; ++i) {
    const double got = ellipsoid_band_area_km2(lat[i] + d / 2, lat[i] - d / 2, d);
    CHECK(got == doctest::Approx(want[i]).epsilon(1e-6 / 0.12));  // 6 decimals quoted
    CHECK(std::abs(got - want[i]) <= 5e-7);
  }
}

TEST_CASE("cell area: a global 1-degree grid sums to the WGS84 surface area") {
  // WGS84 ellipsoid surface area: 510,065,621.7 km² (NIMA TR8350.2).
  GridGeometry g{-180, 90, 1, -1, 360, 180};
  const auto rows = geographic_row_cell_areas_km2(g);
  double total = 0;
  for (double a : rows) total += a * 360;
  CHECK(total == doctest::Approx(510065621.7).epsilon(1e-9));
  CHECK(rows[0] == doctest::Approx(rows[179]).epsilon(1e-9));  // symmetric about the equator
}

TEST_CASE("cell area: a sphere (inverse flattening 0, as GDAL reports one) gets a²·Δλ·|sin φ₂ − sin φ₁|") {
  const double a = 6371000, deg = std::numbers::pi / 180;
  const double expected = a * a * 10 * deg * (std::sin(40 * deg) - std::sin(20 * deg)) * 1e-6;
  CHECK(ellipsoid_band_area_km2(20, 40, 10, Ellipsoid{a, 0}) == doctest::Approx(expected).epsilon(1e-14));
}
