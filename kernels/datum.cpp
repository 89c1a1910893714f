#include "kernels/datum.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace nl {

namespace {

// Krasovsky 1940: GCJ-02 expresses its offset in metres on this ellipsoid, not on WGS84.
constexpr double kSemiMajor = 6378245.0;
constexpr double kEccSquared = 0.00669342162296594323;

bool outside_china_box(double lon, double lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

// The shared sine terms, written exactly as in the published formula (sin(k·x·π) grouping and
// ×2/3 per group) so rounding matches the reference implementations' test vectors.
// The published series for the latitude and longitude offsets (metre-like units), evaluated
// together: sin(6πx) and sin(2πx) are shared, and sin(3θ) = 3 sin θ − 4 sin³ θ gives sin(πx)
// from sin(πx/3) (and likewise for y), so 7 sines replace 12 — this is the hot loop of a cold
// run on GCJ-02 counties.
void transform_offsets(double x, double y, double& d_lat, double& d_lon) {
  const double pi = std::numbers::pi;
  const double s2x = std::sin(2.0 * x * pi);
  const double s6x = s2x * (3.0 - 4.0 * s2x * s2x);
  const double sx3 = std::sin(x / 3.0 * pi);
  const double sx = sx3 * (3.0 - 4.0 * sx3 * sx3);
  const double sy3 = std::sin(y / 3.0 * pi);
  const double sy = sy3 * (3.0 - 4.0 * sy3 * sy3);
  const double common = (20.0 * s6x + 20.0 * s2x) * 2.0 / 3.0;
  d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::abs(x)) + common +
          (20.0 * sy + 40.0 * sy3) * 2.0 / 3.0 +
          (160.0 * std::sin(y / 12.0 * pi) + 320.0 * std::sin(y * pi / 30.0)) * 2.0 / 3.0;
  d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::abs(x)) + common +
          (20.0 * sx + 40.0 * sx3) * 2.0 / 3.0 +
          (150.0 * std::sin(x / 12.0 * pi) + 300.0 * std::sin(x / 30.0 * pi)) * 2.0 / 3.0;
}

}  // namespace

void wgs84_to_gcj02(double lon, double lat, double& out_lon, double& out_lat) {
  if (outside_china_box(lon, lat)) {
    out_lon = lon;
    out_lat = lat;
    return;
  }
  const double pi = std::numbers::pi;
  // The series is centred on (105°E, 35°N) and yields metre-like offsets; dividing by the
  // meridian and parallel radii of curvature turns them into degrees.
  double dlat = 0, dlon = 0;
  transform_offsets(lon - 105.0, lat - 35.0, dlat, dlon);
  const double radlat = lat / 180.0 * pi;
  const double sin_lat = std::sin(radlat), cos_lat = std::cos(radlat);
  const double magic = 1.0 - kEccSquared * sin_lat * sin_lat;
  const double sqrt_magic = std::sqrt(magic);
  dlat = (dlat * 180.0) / ((kSemiMajor * (1.0 - kEccSquared)) / (magic * sqrt_magic) * pi);
  dlon = (dlon * 180.0) / (kSemiMajor / sqrt_magic * cos_lat * pi);
  out_lon = lon + dlon;
  out_lat = lat + dlat;
}

void gcj02_to_wgs84(double lon, double lat, double& out_lon, double& out_lat) {
  // The offset's gradient is at most ~2e-3 (degrees per degree), so each round shrinks the error
  // by that factor: once a step is below 1e-7° the error left is below ~1e-10° (tests hold round
  // trips to 1e-9°), usually after three evaluations of the forward formula. 30 is a safety cap
  // for the discontinuous box edge, where no exact inverse exists.
  constexpr int kMaxIterations = 30;
  constexpr double kTolerance = 1e-7;
  double f_lon = 0, f_lat = 0;
  wgs84_to_gcj02(lon, lat, f_lon, f_lat);
  double w_lon = lon - (f_lon - lon);
  double w_lat = lat - (f_lat - lat);
  for (int i = 0; i < kMaxIterations; ++i) {
    wgs84_to_gcj02(w_lon, w_lat, f_lon, f_lat);
    const double step_lon = f_lon - lon;
    const double step_lat = f_lat - lat;
    w_lon -= step_lon;
    w_lat -= step_lat;
    // Negated test so a NaN input leaves the loop at once instead of running to the cap.
    if (!(std::max(std::abs(step_lon), std::abs(step_lat)) >= kTolerance)) break;
  }
  out_lon = w_lon;
  out_lat = w_lat;
}

Datum parse_datum(const std::string& name) {
  if (name == "wgs84") return Datum::wgs84;
  if (name == "gcj02") return Datum::gcj02;
  throw std::invalid_argument("unknown datum '" + name + "' (accepted: wgs84, gcj02)");
}

const char* datum_name(Datum datum) {
  switch (datum) {
    case Datum::wgs84:
      return "wgs84";
    case Datum::gcj02:
      return "gcj02";
  }
  // Only reachable through a cast of an out-of-range integer.
  return "unknown";
}

}  // namespace nl
