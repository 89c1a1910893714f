// Ellipsoidal and spherical cell areas of geographic rows (formulas in DESIGN.md).
#include "kernels/cell_area.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nl {

namespace {
double authalic_q(double phi, double ecc) {
  const double s = std::sin(phi);
  if (ecc == 0) return 2.0 * s;  // the sphere: the limit of the series
  const double es = ecc * s;
  return s / (1.0 - es * es) + (1.0 / (2.0 * ecc)) * std::log((1.0 + es) / (1.0 - es));
}
}  // namespace

double ellipsoid_band_area_km2(double lat1_deg, double lat2_deg, double dlon_deg, const Ellipsoid& e) {
  const double deg = std::numbers::pi / 180.0;
  const double f = e.inverse_flattening > 0 ? 1.0 / e.inverse_flattening : 0.0;  // 0: a sphere
  const double a = e.semi_major_m;
  const double b = a * (1.0 - f);
  const double ecc = std::sqrt(f * (2.0 - f));
  const double p1 = std::clamp(lat1_deg, -90.0, 90.0) * deg;
  const double p2 = std::clamp(lat2_deg, -90.0, 90.0) * deg;
  const double area_m2 = std::abs(dlon_deg * deg) * b * b / 2.0 * std::abs(authalic_q(p2, ecc) - authalic_q(p1, ecc));
  return area_m2 * 1e-6;
}

std::vector<double> geographic_row_cell_areas_km2(const GridGeometry& grid, const Ellipsoid& e) {
  std::vector<double> areas(static_cast<size_t>(std::max<int64_t>(grid.height, 0)));
  for (int64_t r = 0; r < grid.height; ++r) {
    areas[r] = ellipsoid_band_area_km2(grid.y_of_row(r), grid.y_of_row(r + 1), grid.cell_width, e);
  }
  return areas;
}

}  // namespace nl
