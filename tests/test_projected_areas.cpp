// True cell areas on projected grids that are not equal-area: a Web Mercator raster (areas by
// row, exact) and a UTM raster (areas by cell), each against an independent ellipsoidal area.
#include <doctest/doctest.h>

#include <geodesic.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <numbers>

#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {

constexpr double kA = 6378137.0, kRf = 298.257223563;

// Geodesic area (km²) of a lon/lat ring on WGS84, by PROJ's geodesic library (Karney 2013).
double geodesic_area_km2(const std::vector<double>& lon, const std::vector<double>& lat) {
  geod_geodesic g;
  geod_init(&g, kA, 1 / kRf);
  double area = 0, perimeter = 0;
  geod_polygonarea(&g, const_cast<double*>(lat.data()), const_cast<double*>(lon.data()), static_cast<int>(lat.size()),
                   &area, &perimeter);
  return std::abs(area) * 1e-6;
}

double valid_area_of(const std::string& csv) {
  const auto lines = csv_lines(csv);
  REQUIRE(lines.size() == 2);
  return std::stod(lines[1][1]);
}

std::string crs_member(int epsg) {
  return "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::" + std::to_string(epsg) + "\"}},";
}

}  // namespace

TEST_CASE("projected areas: a Web Mercator raster's valid area is the ellipsoidal area of its lon/lat rectangle") {
  const std::string dir = temp_dir("areas-3857");
  // 100°–110°E × 20°–40°N in EPSG:3857 (spherical Mercator formulas on WGS84 lon/lat).
  const double deg = std::numbers::pi / 180;
  auto X = [&](double lon) { return kA * lon * deg; };
  auto Y = [&](double lat) { return kA * std::log(std::tan(std::numbers::pi / 4 + lat * deg / 2)); };
  const int W = 100, H = 120;
  const double gt[6] = {X(100), (X(110) - X(100)) / W, 0, Y(40), 0, -(Y(40) - Y(20)) / H};
  write_geotiff(dir + "/m.tif", W, H, gt, std::vector<float>(W * H, 1.f), std::nullopt, 32, "EPSG:3857");
  write_text(dir + "/z.geojson", geojson_polygons({{"r", {{{100, 40}, {110, 40}, {110, 20}, {100, 20}}}}}));
  const auto r = nightlights("zonal -r " + dir + "/m.tif -p " + dir + "/z.geojson -f id -s valid_area_km2 -o " + dir + "/o.csv");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("nominal") == std::string::npos);

  // Reference 1: the band between two parallels, b²/2·Δλ·|q(φ₂) − q(φ₁)| (DESIGN.md), in one piece.
  const double e2 = (2 - 1 / kRf) / kRf, e = std::sqrt(e2), b = kA * (1 - 1 / kRf);
  auto q = [&](double lat) {
    const double s = std::sin(lat * deg);
    return s / (1 - e2 * s * s) + std::log((1 + e * s) / (1 - e * s)) / (2 * e);
  };
  const double band = 10 * deg * b * b / 2 * (q(40) - q(20)) * 1e-6;
  // Reference 2: PROJ's geodesic polygon with the parallels densified (geodesics bow poleward).
  std::vector<double> lon, lat;
  for (int i = 0; i <= 1000; ++i) lon.push_back(100 + i * 0.01), lat.push_back(40);
  for (int i = 0; i <= 1000; ++i) lon.push_back(110 - i * 0.01), lat.push_back(20);
  const double geodesic = geodesic_area_km2(lon, lat);
  CHECK(band == doctest::Approx(geodesic).epsilon(1e-6));

  const double got = valid_area_of(dir + "/o.csv");
  CHECK(got == doctest::Approx(band).epsilon(1e-9));
  // The nominal area the geotransform suggests is 36 % too large here.
  CHECK(std::abs(gt[1] * gt[5]) * W * H * 1e-6 > 1.35 * band);
}

TEST_CASE("projected areas: a UTM raster's valid area is the geodesic area of its rectangle, cell by cell") {
  const std::string dir = temp_dir("areas-utm");
  // UTM 48N, 300–500 km easting, 3,900–4,050 km northing: 200 × 150 cells of 1 km; the scale
  // factor varies across columns, so areas are per cell.
  const int W = 200, H = 150;
  const double gt[6] = {300000, 1000, 0, 4050000, 0, -1000};
  write_geotiff(dir + "/u.tif", W, H, gt, std::vector<float>(W * H, 1.f), std::nullopt, 32, "EPSG:32648");
  write_text(dir + "/z.geojson", "{\"type\":\"FeatureCollection\"," + crs_member(32648) +
                                     "\"features\":[{\"type\":\"Feature\",\"properties\":{\"id\":\"r\"},\"geometry\":"
                                     "{\"type\":\"Polygon\",\"coordinates\":[[[300000,4050000],[500000,4050000],"
                                     "[500000,3900000],[300000,3900000],[300000,4050000]]]}}]}");
  const auto r = nightlights("zonal -r " + dir + "/u.tif -p " + dir + "/z.geojson -f id -s valid_area_km2 -o " + dir + "/o.csv");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);

  // Reference: the rectangle's edges densified every 100 m in UTM, taken to lon/lat by PROJ,
  // and measured as a geodesic polygon.
  OGRSpatialReference utm, wgs;
  utm.importFromEPSG(32648);
  wgs.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&utm, &wgs));
  std::vector<double> x, y;
  auto edge = [&](double x0, double y0, double x1, double y1) {
    for (int i = 0; i < 2000; ++i) x.push_back(x0 + (x1 - x0) * i / 2000), y.push_back(y0 + (y1 - y0) * i / 2000);
  };
  edge(300000, 4050000, 500000, 4050000);
  edge(500000, 4050000, 500000, 3900000);
  edge(500000, 3900000, 300000, 3900000);
  edge(300000, 3900000, 300000, 4050000);
  REQUIRE(t->Transform(static_cast<int>(x.size()), x.data(), y.data()));
  const double geodesic = geodesic_area_km2(x, y);

  const double got = valid_area_of(dir + "/o.csv");
  CHECK(got == doctest::Approx(geodesic).epsilon(1e-7));
  // The nominal 30,000 km² is wrong by more than the tolerance (scale factor 0.9996–0.9998).
  CHECK(std::abs(30000 - geodesic) > 1e-4 * geodesic);
}
