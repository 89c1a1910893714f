// The Hu line's kept work (panel/.hu_line.json): used while its inputs are unchanged, redone
// when any of them changes, the record or the sides' GeoPackage is damaged or gone, or run
// --verify asks; a record that cannot be written is a warning, not a failed run.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "pipeline/app/hu_line_zones.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

// Squares of 0.2° around four cities: Shanghai and Beijing lie east of the Heihe–Tengchong
// line, Lhasa and Urumqi west of it (the same cities as the stages test of the sides).
void write_cities(const std::string& path) {
  const std::vector<std::tuple<std::string, double, double>> cities{{"shanghai", 121.47, 31.23},
                                                                    {"beijing", 116.40, 39.90},
                                                                    {"lhasa", 91.11, 29.65},
                                                                    {"urumqi", 87.62, 43.83}};
  std::string json = R"({"type":"FeatureCollection","features":[)";
  for (size_t i = 0; i < cities.size(); ++i) {
    const auto& [name, lon, lat] = cities[i];
    std::ostringstream ring;
    ring << "[[" << lon - 0.1 << "," << lat - 0.1 << "],[" << lon + 0.1 << "," << lat - 0.1 << "],["
         << lon + 0.1 << "," << lat + 0.1 << "],[" << lon - 0.1 << "," << lat + 0.1 << "],["
         << lon - 0.1 << "," << lat - 0.1 << "]]";
    json += (i ? "," : "") + std::string(R"({"type":"Feature","properties":{"id":")") + name +
            R"("},"geometry":{"type":"Polygon","coordinates":[)" + ring.str() + "]}}";
  }
  std::ofstream(path, std::ios::binary) << json << "]}";
}

nl::RunConfig hu_line_config(const std::string& cities) {
  nl::RunConfig c;
  nl::ZoneLayerConfig z;
  z.name = "cities";
  z.path = cities;
  z.id_field = "id";
  c.zones.push_back(z);
  nl::LevelConfig l;
  l.name = "city";
  l.zones = "cities";
  c.levels.push_back(l);
  c.hu_line.enabled = true;
  c.hu_line.level = "city";
  c.hu_line.definition = NIGHTLIGHTS_SOURCE_DIR "/configs/hu-line.yaml";
  c.hu_line.country_path = cities;  // the union of the four squares stands in for the country
  return c;
}

// The sides, and whether the run said it kept them from an earlier run.
std::pair<std::map<std::string, std::string>, bool> prepare(const nl::RunConfig& c, const std::string& out,
                                                            bool reuse_kept = true) {
  std::vector<std::string> lines;
  const nl::ScopedDiagnosticsSink sink(
      [&](nl::Severity, const std::string& m) { lines.push_back(m); });
  const nl::HuLineZones hu = nl::prepare_hu_line_zones(c, out, reuse_kept);
  bool kept = false;
  for (const auto& l : lines)
    kept = kept || l.find("kept from an earlier run") != std::string::npos;
  return {hu.side_of_unit, kept};
}

}  // namespace

TEST_CASE(
    "hu line cache: kept while the inputs are unchanged, redone when one changes or the record is "
    "damaged") {
  const std::string dir = nl::testsupport::temp_dir("hu-line-cache"), out = dir + "/out";
  fs::create_directories(out);
  const std::string cities = dir + "/cities.geojson";
  write_cities(cities);
  nl::RunConfig c = hu_line_config(cities);
  const std::map<std::string, std::string> expected{
      {"shanghai", "east"}, {"beijing", "east"}, {"lhasa", "west"}, {"urumqi", "west"}};

  const auto first = prepare(c, out);
  CHECK(first.first == expected);
  CHECK_FALSE(first.second);
  REQUIRE(fs::exists(out + "/panel/.hu_line.json"));
  const auto gpkg_time = fs::last_write_time(out + "/hu_line_zones.gpkg");

  // Unchanged inputs: the stored sides, and the sides' GeoPackage not rewritten (the coverage
  // cache of the sides is keyed on its mtime).
  const auto second = prepare(c, out);
  CHECK(second.first == expected);
  CHECK(second.second);
  CHECK(fs::last_write_time(out + "/hu_line_zones.gpkg") == gpkg_time);

  // run --verify: computed again whatever is kept (a file replaced by another of the same size
  // and mtime), and kept anew.
  const auto verified = prepare(c, out, false);
  CHECK(verified.first == expected);
  CHECK_FALSE(verified.second);
  CHECK(prepare(c, out).second);

  // A zone file with a new mtime is read again.
  fs::last_write_time(cities, fs::last_write_time(cities) + std::chrono::seconds(5));
  const auto touched = prepare(c, out);
  CHECK(touched.first == expected);
  CHECK_FALSE(touched.second);
  CHECK(prepare(c, out).second);

  // The sides' GeoPackage deleted: written again, not taken on trust from the record.
  fs::remove(out + "/hu_line_zones.gpkg");
  CHECK_FALSE(prepare(c, out).second);
  CHECK(fs::exists(out + "/hu_line_zones.gpkg"));

  // A damaged record is no record.
  std::ofstream(out + "/panel/.hu_line.json", std::ios::binary) << "{\"key\": ";
  const auto damaged = prepare(c, out);
  CHECK(damaged.first == expected);
  CHECK_FALSE(damaged.second);

  // A record that cannot be written (a folder in its place) only costs the next run time: the
  // sides are the same four, and the run goes on with a warning instead of failing.
  fs::remove(out + "/panel/.hu_line.json");
  fs::create_directories(out + "/panel/.hu_line.json/in-the-way");
  std::vector<std::string> warnings;
  {
    const nl::ScopedDiagnosticsSink sink([&](nl::Severity s, const std::string& m) {
      if (s == nl::Severity::warning) warnings.push_back(m);
    });
    fs::remove(out + "/hu_line_zones.gpkg");  // so that the sides are computed and kept again
    CHECK(nl::prepare_hu_line_zones(c, out, true).side_of_unit == expected);
  }
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("could not be kept for the next run") != std::string::npos);
  fs::remove_all(out + "/panel/.hu_line.json");

  // Another shape of the line is another key.
  c.hu_line.shape = "straight-lonlat";
  const auto reshaped = prepare(c, out);
  CHECK(reshaped.first == expected);
  CHECK_FALSE(reshaped.second);
  CHECK(prepare(c, out).second);
}
