// The GeoPackages' units prepared apart from their tables (app/level_geopackages): the county
// level gets the layer's own geometries, a derived level the union of its members', whether
// prepared in the calling thread or beside the run; a cancelled preparation stops; derived
// units kept between runs are the same bytes and are redone when their inputs change.
#include <doctest/doctest.h>
#include <omp.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

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

namespace {

std::string wkb_of(const OGRGeometry* g) {
  if (!g) return "";
  std::string wkb(static_cast<size_t>(g->WkbSize()), '\0');
  g->exportToWkb(wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()), wkbVariantIso);
  return wkb;
}

// Each level's codes and geometries as WKB bytes, for exact comparison.
std::vector<std::vector<std::pair<std::string, std::string>>> as_wkb(const std::vector<GeoPackageLevel>& levels) {
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  for (const auto& l : levels) {
    out.emplace_back();
    for (const auto& u : l.units) out.back().emplace_back(u.code, wkb_of(u.geometry.get()));
  }
  return out;
}

// Prepared with `kept_in`, and whether the run said the derived units were kept.
std::pair<std::vector<GeoPackageLevel>, bool> prepare_kept(const RunConfig& c, const std::string& kept_in,
                                                           bool reuse_kept = true) {
  std::vector<std::string> lines;
  const ScopedDiagnosticsSink sink([&](Severity, const std::string& m) { lines.push_back(m); });
  const std::atomic<bool> go{false};
  auto levels = prepare_geopackage_levels(c, go, kept_in, reuse_kept);
  bool kept = false;
  for (const auto& l : lines) kept = kept || l.find("GeoPackage units of city kept from an earlier run") != std::string::npos;
  return {std::move(levels), kept};
}

}  // namespace

TEST_CASE("level GeoPackages: derived units are kept between runs, the same bytes, and redone when their inputs change") {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/nl-kept-units";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // A copy of the sample's counties, so that its mtime can change.
  const std::string counties = dir + "/counties.gpkg";
  std::filesystem::copy_file(std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples/counties.gpkg", counties);
  RunConfig c = config();
  c.zones.front().path = counties;
  const std::string out = dir + "/out";

  const auto fresh = prepare_kept(c, out);
  CHECK_FALSE(fresh.second);
  REQUIRE(std::filesystem::exists(out + "/panel/.geopackages/city.units"));
  CHECK_FALSE(std::filesystem::exists(out + "/panel/.geopackages/county.units"));  // own-layer levels are read
  check_levels(fresh.first, read_directly());

  // Kept: every unit's WKB the same bytes as the union's (so the GeoPackage is too).
  const auto kept = prepare_kept(c, out);
  CHECK(kept.second);
  CHECK(as_wkb(kept.first) == as_wkb(fresh.first));

  // run --verify: unioned again whatever is kept, the same bytes.
  const auto verified = prepare_kept(c, out, false);
  CHECK_FALSE(verified.second);
  CHECK(as_wkb(verified.first) == as_wkb(fresh.first));

  // The zone file touched: unioned again, the same bytes again.
  std::filesystem::last_write_time(counties, std::filesystem::last_write_time(counties) + std::chrono::seconds(5));
  const auto touched = prepare_kept(c, out);
  CHECK_FALSE(touched.second);
  CHECK(as_wkb(touched.first) == as_wkb(fresh.first));

  // Another key for the city level: other units, so the kept ones are not used.
  RunConfig other = c;
  other.levels[1].prefix = 2;  // cities keyed on the first two characters of ctadcode (provinces)
  CHECK_FALSE(prepare_kept(other, out).second);

  // A damaged file is not used (and is replaced).
  std::ofstream(out + "/panel/.geopackages/city.units", std::ios::binary) << "NLUNITS1\ngarbage";
  const auto damaged = prepare_kept(c, out);
  CHECK_FALSE(damaged.second);
  CHECK(as_wkb(damaged.first) == as_wkb(fresh.first));
  CHECK(prepare_kept(c, out).second);
}
