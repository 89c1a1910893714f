#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels/datum.hpp"

namespace {

// Local east/north metres on a sphere: good to ~1% over a < 1 km shift, ample for bounds
// expressed in hundreds of metres.
double offset_metres(double lon0, double lat0, double lon1, double lat1) {
  const double m_per_deg = 6371008.8 * std::numbers::pi / 180.0;
  const double east = (lon1 - lon0) * m_per_deg * std::cos(lat0 * std::numbers::pi / 180.0);
  const double north = (lat1 - lat0) * m_per_deg;
  return std::hypot(east, north);
}

struct PublishedPair {
  double wgs_lat, wgs_lon, gcj_lat, gcj_lon;
};

}  // namespace

TEST_CASE("wgs84_to_gcj02 reproduces published test vectors") {
  const PublishedPair pairs[] = {
      // googollee/eviltransform, c/test.c (same values in go/transform_test.go, python/test.py,
      // php/EvilTransformTest.php): shanghai
      {31.1774276, 121.5272106, 31.17530398364597, 121.531541859215},
      // googollee/eviltransform, c/test.c: shenzhen
      {22.543847, 113.912316, 22.540796131694766, 113.9171764808363},
      // googollee/eviltransform, c/test.c: beijing
      {39.911954, 116.377817, 39.91334545536069, 116.38404722455657},
      // wandergis/coordtransform, test/app.js: "wgs84togcj02: [ 116.41024449916938, 39.91640428150164 ]"
      // for input (116.404, 39.915)
      {39.915, 116.404, 39.91640428150164, 116.41024449916938},
  };
  for (const auto& p : pairs) {
    CAPTURE(p.wgs_lon);
    CAPTURE(p.wgs_lat);
    double lon = 0, lat = 0;
    nl::wgs84_to_gcj02(p.wgs_lon, p.wgs_lat, lon, lat);
    // The vectors carry ~16 significant digits; 1e-9° (0.1 mm) leaves room only for libm
    // last-bit differences, not for any formula deviation.
    CHECK(std::abs(lon - p.gcj_lon) < 1e-9);
    CHECK(std::abs(lat - p.gcj_lat) < 1e-9);

    // The reference projects only promise their own inverse to 0.5 m; ours is exact, so it must
    // land back on the published WGS84 input.
    nl::gcj02_to_wgs84(p.gcj_lon, p.gcj_lat, lon, lat);
    CHECK(std::abs(lon - p.wgs_lon) < 1e-9);
    CHECK(std::abs(lat - p.wgs_lat) < 1e-9);
  }
}

TEST_CASE("round trips over China are exact to well below 1e-7 degrees") {
  double worst_gcj = 0, worst_wgs = 0;
  for (double lon = 75.0; lon <= 134.0; lon += 0.5) {
    for (double lat = 18.0; lat <= 53.0; lat += 0.5) {
      double w_lon = 0, w_lat = 0, g_lon = 0, g_lat = 0;
      // gcj → wgs → gcj: the guarantee the inverse is built for.
      nl::gcj02_to_wgs84(lon, lat, w_lon, w_lat);
      nl::wgs84_to_gcj02(w_lon, w_lat, g_lon, g_lat);
      worst_gcj = std::max({worst_gcj, std::abs(g_lon - lon), std::abs(g_lat - lat)});
      // wgs → gcj → wgs: holds because the forward map is locally one-to-one.
      nl::wgs84_to_gcj02(lon, lat, g_lon, g_lat);
      nl::gcj02_to_wgs84(g_lon, g_lat, w_lon, w_lat);
      worst_wgs = std::max({worst_wgs, std::abs(w_lon - lon), std::abs(w_lat - lat)});
    }
  }
  CHECK(worst_gcj < 1e-9);
  CHECK(worst_wgs < 1e-9);
}

TEST_CASE("offset magnitude inside China") {
  // The series yields metres on the Krasovsky ellipsoid: a constant ~300 m east / ~100 m south
  // at its origin (105°E, 35°N), plus polynomial growth away from it and sine wiggles of a few
  // hundred metres. So the shift is never zero inside the box and stays below ~700 m. The brief's
  // "at least ~100 m" holds east of 100°E only: in the Qaidam basin (Qinghai, ~96.6°E 37.2°N) the
  // east and north components nearly cancel and the shift drops to ~20 m. East of 105°E, where
  // most counties and lights are, it is 300–700 m, i.e. about one VIIRS pixel (15″ ≈ 460 m).
  double lo_all = 1e9, hi_all = 0, lo_east = 1e9, hi_east = 0, lo_mid = 1e9;
  for (double lon = 75.0; lon <= 134.0; lon += 0.5) {
    for (double lat = 18.0; lat <= 53.0; lat += 0.5) {
      double g_lon = 0, g_lat = 0;
      nl::wgs84_to_gcj02(lon, lat, g_lon, g_lat);
      const double m = offset_metres(lon, lat, g_lon, g_lat);
      lo_all = std::min(lo_all, m);
      hi_all = std::max(hi_all, m);
      if (lon >= 100.0) lo_mid = std::min(lo_mid, m);
      if (lon >= 105.0) {
        lo_east = std::min(lo_east, m);
        hi_east = std::max(hi_east, m);
      }
    }
  }
  CHECK(lo_all > 10.0);
  CHECK(hi_all < 700.0);
  CHECK(lo_mid > 100.0);
  CHECK(lo_east > 300.0);
  CHECK(hi_east < 700.0);

  // A populated anchor: central Beijing moves ~550 m.
  double g_lon = 0, g_lat = 0;
  nl::wgs84_to_gcj02(116.40, 39.90, g_lon, g_lat);
  const double beijing = offset_metres(116.40, 39.90, g_lon, g_lat);
  CHECK(beijing > 500.0);
  CHECK(beijing < 600.0);
}

TEST_CASE("points outside the China bounding box are unchanged both ways") {
  const double points[][2] = {
      {0.0, 0.0},          // null island
      {-74.006, 40.7128},  // New York
      {2.3522, 48.8566},   // Paris
      {139.6917, 35.6895}, // Tokyo: east of 137.8347
      {37.6173, 55.7558},  // Moscow: west of 72.004
      {151.2093, -33.8688},
      {72.0, 40.0},        // just west of the box
      {137.84, 40.0},      // just east
      {100.0, 0.82},       // just south
      {100.0, 55.83},      // just north
  };
  for (const auto& p : points) {
    CAPTURE(p[0]);
    CAPTURE(p[1]);
    double lon = 1, lat = 1;
    nl::wgs84_to_gcj02(p[0], p[1], lon, lat);
    CHECK(lon == p[0]);
    CHECK(lat == p[1]);
    nl::gcj02_to_wgs84(p[0], p[1], lon, lat);
    CHECK(lon == p[0]);
    CHECK(lat == p[1]);
  }

  // The box is rough, as documented: Bangkok lies inside it and is shifted like Chinese points.
  double lon = 0, lat = 0;
  nl::wgs84_to_gcj02(100.5018, 13.7563, lon, lat);
  CHECK(lon != 100.5018);
}

TEST_CASE("parse_datum and datum_name") {
  CHECK(nl::parse_datum("wgs84") == nl::Datum::wgs84);
  CHECK(nl::parse_datum("gcj02") == nl::Datum::gcj02);
  CHECK(std::string(nl::datum_name(nl::Datum::wgs84)) == "wgs84");
  CHECK(std::string(nl::datum_name(nl::Datum::gcj02)) == "gcj02");
  for (auto d : {nl::Datum::wgs84, nl::Datum::gcj02}) CHECK(nl::parse_datum(nl::datum_name(d)) == d);

  CHECK_THROWS_AS(nl::parse_datum("WGS84"), std::invalid_argument);
  CHECK_THROWS_AS(nl::parse_datum(""), std::invalid_argument);
  try {
    nl::parse_datum("bd09");
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("bd09") != std::string::npos);
    CHECK(msg.find("wgs84") != std::string::npos);
    CHECK(msg.find("gcj02") != std::string::npos);
  }
}

TEST_CASE("gcj02_to_wgs84 on arrays: bit-identical to the one-point call, 2, 4 or 8 points at a time") {
  // Points all over the box, points near its edges (where an iterate may leave it and the scalar
  // code takes its other branch), points outside, and NaN and infinities, shuffled together so
  // that every kind meets every other in a pair.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> lon, lat;
  for (int i = 0; i < 200000; ++i) {
    lon.push_back(72.004 + u(rng) * (137.8347 - 72.004));
    lat.push_back(0.8293 + u(rng) * (55.8271 - 0.8293));
  }
  for (const double edge_lon : {72.004, 137.8347})
    for (int i = 0; i < 2000; ++i) lon.push_back(edge_lon + (u(rng) - 0.5) * 0.02), lat.push_back(30 + u(rng));
  for (const double edge_lat : {0.8293, 55.8271})
    for (int i = 0; i < 2000; ++i) lon.push_back(100 + u(rng)), lat.push_back(edge_lat + (u(rng) - 0.5) * 0.02);
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  for (const auto& [x, y] : std::vector<std::pair<double, double>>{{nan, 30}, {100, nan}, {inf, 30}, {100, -inf}, {0, 0}, {-170, 60}}) {
    lon.push_back(x);
    lat.push_back(y);
  }
  std::vector<size_t> order(lon.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<double> a_lon, a_lat;
  for (const size_t i : order) a_lon.push_back(lon[i]), a_lat.push_back(lat[i]);
  std::vector<double> want_lon(a_lon.size()), want_lat(a_lat.size());
  for (size_t i = 0; i < a_lon.size(); ++i) nl::gcj02_to_wgs84(a_lon[i], a_lat[i], want_lon[i], want_lat[i]);
  // Every width the processor has (8, 4, 2 lanes; 1: the one-point call itself), and counts that
  // leave every tail after the groups (0-7 points).
  for (const int lanes : {8, 4, 2, 1})
  for (size_t tail = 0; tail < 8; ++tail) {
    CAPTURE(lanes);
    CAPTURE(tail);
    const size_t n = a_lon.size() - tail;
    std::vector<double> got_lon(a_lon.begin(), a_lon.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<double> got_lat(a_lat.begin(), a_lat.begin() + static_cast<std::ptrdiff_t>(n));
    nl::gcj02_to_wgs84(got_lon, got_lat, lanes);
    size_t differ = 0;
    for (size_t i = 0; i < n; ++i)
      differ += std::memcmp(&got_lon[i], &want_lon[i], sizeof(double)) != 0 ||
                std::memcmp(&got_lat[i], &want_lat[i], sizeof(double)) != 0;
    CHECK(differ == 0);
  }
}
