// Unwrapping rings across the ±180° seam and the ±360° turns that place a zone on a grid.
#include "kernels/antimeridian.hpp"

#include <cmath>

namespace nl {

namespace {
// The smallest step equivalent to `d` modulo 360: in (−180, 180].
double shortest(double d) {
  d -= 360.0 * std::round(d / 360.0);
  return d <= -180 ? d + 360 : d;
}
}  // namespace

bool unwrap_ring_longitudes(std::span<double> lon) {
  const size_t n = lon.size();
  if (n < 2) return false;
  bool jumps = false;
  for (size_t i = 0; i < n; ++i) {
    if (!(std::abs(lon[i]) <= 540)) return false;  // not a longitude (a corrupt export): as written
    if (std::abs(lon[(i + 1) % n] - lon[i]) > 180) jumps = true;
  }
  if (!jumps) return false;
  double winding = 0;
  for (size_t i = 0; i < n; ++i) winding += shortest(lon[(i + 1) % n] - lon[i]);
  if (std::abs(winding) > 180) return false;  // around a pole: the ring is right as written
  for (size_t i = 1; i < n; ++i) lon[i] = lon[i - 1] + shortest(lon[i] - lon[i - 1]);
  return true;
}

void shift_near(std::span<double> lon, double reference) {
  if (lon.empty()) return;
  const double turns = std::round((reference - lon[0]) / 360.0);
  if (turns == 0) return;
  for (double& x : lon) x += turns * 360.0;
}

std::vector<int> turns_onto_grid(double west, double east, double grid_west, double grid_east) {
  std::vector<int> turns;
  // Not longitudes (a corrupt export, a projected grid's metres): where they are, as written.
  for (const double v : {west, east, grid_west, grid_east})
    if (!(std::abs(v) <= 1080)) return {0};
  const int first = static_cast<int>(std::ceil((grid_west - east) / 360.0));
  const int last = static_cast<int>(std::floor((grid_east - west) / 360.0));
  for (int k = first; k <= last; ++k) {
    // Overlap in more than a line: a polygon touching the grid's edge adds no coverage.
    if (west + k * 360.0 < grid_east && east + k * 360.0 > grid_west) turns.push_back(k);
  }
  if (turns.empty()) turns.push_back(0);
  return turns;
}

}  // namespace nl
