// The GeoPackages' units prepared apart from their tables (app/level_geopackages): the county
// level gets the layer's own geometries, a derived level the union of its members', whether
// prepared in the calling thread or beside the run; a cancelled preparation stops.
#include <doctest/doctest.h>
#include <omp.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <map>
#include <memory>
#include <set>

#include "pipeline/app/level_geopackages.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/vector_source.hpp"

using namespace nl;

namespace {

const char* kConfig = R"(releases: {files: x.tif, pattern: "{year}.tif", units: DN}
zones:
  counties: {path: ../samples/counties.gpkg, layer: counties, id_field: adcode, fields: [ctadcode]}
levels:
  - {name: county, zones: counties}
  - {name: city, from: county, key: ctadcode}
stats: [count, sum]
output: {directory: out, geopackage: [county, city]}
)";

RunConfig config() { return parse_run_config(kConfig, "test.yaml", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs", false); }

double area(const OGRGeometry* g) {
  if (!g) return 0;
  const auto type = wkbFlatten(g->getGeometryType());
  if (type == wkbPolygon) return g->toPolygon()->get_Area();
  if (type == wkbMultiPolygon) return g->toMultiPolygon()->get_Area();
  return 0;
}

// Straight from the layer with OGR (the sample is WGS84 lon/lat, no datum to correct): each
// county's area, and each city's as the area of its counties merged one by one with pairwise
// Union (the sample's counties overlap by ~0.1 %, so their areas' sum would not do; the run
// uses UnionCascaded, another GEOS path to the same polygon).
struct Direct {
  std::map<std::string, double> county_area, city_area;
};
Direct read_directly() {
  const VectorLayer v = open_vector_layer(std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples/counties.gpkg", "counties");
  Direct d;
  std::map<std::string, std::unique_ptr<OGRGeometry>> cities;
  for (auto& f : *v.layer) {
    const OGRGeometry* g = f->GetGeometryRef();
    d.county_area[f->GetFieldAsString("adcode")] = area(g);
    auto& city = cities[f->GetFieldAsString("ctadcode")];
    city.reset(city ? city->Union(g) : g->clone());
  }
  for (const auto& [code, g] : cities) d.city_area[code] = area(g.get());
  return d;
}

void check_levels(const std::vector<GeoPackageLevel>& levels, const Direct& direct) {
  REQUIRE(levels.size() == 2);
  CHECK(levels[0].name == "county");
  CHECK(levels[1].name == "city");
  CHECK(levels[0].srs != nullptr);  // the layer's EPSG:4326, handed on to the GeoPackage
  // Every county once, with the area OGR gives its feature (same geometry, so to rounding).
  REQUIRE(levels[0].units.size() == direct.county_area.size());
  std::set<std::string> seen;
  for (const auto& u : levels[0].units) {
    seen.insert(u.code);
    CHECK(area(u.geometry.get()) == doctest::Approx(direct.county_area.at(u.code)).epsilon(1e-12));
  }
  CHECK(seen.size() == direct.county_area.size());
  // Each city the union of its counties: the same area as the pairwise union's, to the rounding
  // GEOS's noding adds (far below 1e-9 of a city).
  REQUIRE(levels[1].units.size() == direct.city_area.size());
  for (const auto& u : levels[1].units)
    CHECK(area(u.geometry.get()) == doctest::Approx(direct.city_area.at(u.code)).epsilon(1e-9));
}

}  // namespace

TEST_CASE("level GeoPackages: counties keep the layer's geometry, cities are the union of their counties") {
  const Direct direct = read_directly();
  REQUIRE(direct.city_area.size() > 1);
  REQUIRE(direct.city_area.size() < direct.county_area.size());  // some city has several counties
  const RunConfig c = config();
  const std::atomic<bool> go{false};
  check_levels(prepare_geopackage_levels(c, go), direct);
  // The same, prepared on the background thread a run uses.
  GeoPackageLevelsInBackground background(c);
  check_levels(background.take(), direct);
  // Taken, it no longer holds a core: a parallel stage after it keeps every thread, as it does
  // with no background preparation at all.
  CHECK_FALSE(background.running());
  const int threads = omp_get_max_threads();
  {
    const ThreadsBesideGeoPackages after_take(&background);
    CHECK(omp_get_max_threads() == threads);
    const ThreadsBesideGeoPackages none(nullptr);
    CHECK(omp_get_max_threads() == threads);
  }
  CHECK(omp_get_max_threads() == threads);
}

TEST_CASE("level GeoPackages: a cancelled preparation throws Cancelled instead of finishing") {
  const RunConfig c = config();
  const std::atomic<bool> stop{true};
  CHECK_THROWS_AS(prepare_geopackage_levels(c, stop), Cancelled);
}
