// The typed levels record of a release (releases/<id>/levels.v1.cbor) and what reads it: the
// record round-trips every accumulator bit for bit and refuses another version or a damaged
// file; GeoPackages take their field types from the typed table (an admin code stays text);
// convergence computed from records matches the β of an ordinary least-squares fit by hand.
#include <doctest/doctest.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/accumulator.hpp"
#include "pipeline/analysis/convergence_tables.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/geopackage_writer.hpp"
#include "pipeline/io/output_file.hpp"
#include "test_support.hpp"

using nl::testsupport::temp_dir;

namespace {

// One accumulator per zone from a 2 × 3 window: zone 0 covers row 0 fully, zone 1 half of row 1;
// 7.25 is not an integer, so zone 1's sketch is log-bucketed while zone 0's stays exact.
std::vector<nl::ZoneAccumulator> measured_zones() {
  xt::xtensor<double, 2> raw = {{1, 2, 3}, {7.25, 0, 4}};
  const std::vector<double> row_area{2.5, 3.0};
  const std::vector<nl::WindowRun> runs{{0, 0, 0, 3, 1.0}, {1, 1, 0, 3, 0.5}};
  std::vector<std::pair<uint32_t, nl::ZoneAccumulator>> partials;
  nl::WindowExtras extras;
  extras.needs.sketch = true;
  nl::accumulate_window(raw, row_area, runs, {}, 0.5, partials, extras);
  std::vector<nl::ZoneAccumulator> acc(2);
  for (auto& [zone, a] : partials) acc[zone].merge(a);
  acc[1].light = {0.25, -0.5, 0.75};  // the optional centre sums travel too
  acc[1].light_weight = 3.5;
  return acc;
}

nl::ReleaseLevels two_level_record() {
  nl::ReleaseLevels r;
  r.release = "2013";
  r.reference_brightness = 1.75;
  r.levels.resize(2);
  r.levels[0].name = "county";
  r.levels[0].codes = {"0110", "0220"};
  r.levels[0].field_names = {"name", "province"};
  r.levels[0].fields = {{"A, \"quoted\"", "01"}, {"B", "02"}};
  r.levels[0].n_units = {1, 1};
  r.levels[0].acc = measured_zones();
  r.levels[1].name = "province";
  r.levels[1].codes = {"01"};
  r.levels[1].from = 0;
  r.levels[1].unit_of_from = {0, 0};
  r.levels[1].n_units = {2};
  r.levels[1].acc = {r.levels[0].acc[0]};
  r.levels[1].acc[0].merge(r.levels[0].acc[1]);
  r.region_of_level = {{"East", "West"}, {}};
  r.brightness_of_level = {{2.0, NAN}, {3.0}};
  r.saturated_of_level = {{0.5, 0}, {}};
  return r;
}

}  // namespace

TEST_CASE("release levels: the record round-trips every accumulator and refuses another version") {
  const nl::ReleaseLevels r = two_level_record();
  REQUIRE(r.levels[0].acc[0].sketch.exact());
  REQUIRE(!r.levels[0].acc[1].sketch.exact());
  const nl::ReleaseLevels back = nl::decode_release_levels(nl::encode_release_levels(r), "test");
  CHECK(back.release == "2013");
  CHECK(back.reference_brightness == 1.75);
  REQUIRE(back.levels.size() == 2);
  for (size_t l = 0; l < 2; ++l) {
    CHECK(back.levels[l].name == r.levels[l].name);
    CHECK(back.levels[l].codes == r.levels[l].codes);
    CHECK(back.levels[l].fields == r.levels[l].fields);
    CHECK(back.levels[l].n_units == r.levels[l].n_units);
    CHECK(back.levels[l].from == r.levels[l].from);
    CHECK(back.levels[l].unit_of_from == r.levels[l].unit_of_from);
    CHECK(back.levels[l].acc == r.levels[l].acc);  // every field, the sketch and the centre sums
  }
  CHECK(back.region_of_level == r.region_of_level);
  CHECK(back.brightness_of_level[0][0] == 2.0);
  CHECK(std::isnan(back.brightness_of_level[0][1]));
  CHECK(back.saturated_of_level == r.saturated_of_level);
  // The level table from the record is the table from the analysis' own values.
  const auto stats = nl::parse_statistics("count,mean_area,median");
  CHECK(nl::typed_table_csv(nl::level_table(back, "county", stats, 0.5)) ==
        nl::level_csv("2013", r.levels[0], stats, 0.5, 1.75, r.region_of_level[0], &r.brightness_of_level[0],
                      &r.saturated_of_level[0]));

  SUBCASE("another version is refused with the file's name") {
    auto j = nlohmann::json::from_cbor(nl::encode_release_levels(r));
    j["version"] = nl::kReleaseLevelsVersion + 1;
    const auto bytes = nlohmann::json::to_cbor(j);
    CHECK_THROWS_WITH_AS(nl::decode_release_levels(std::string(bytes.begin(), bytes.end()), "OUT/releases/2013"),
                         doctest::Contains("OUT/releases/2013"), nl::UserError);
  }
  SUBCASE("a damaged file is refused") {
    const std::string bytes = nl::encode_release_levels(r);
    CHECK_THROWS_AS(nl::decode_release_levels(bytes.substr(0, bytes.size() / 2), "x"), nl::UserError);
  }
}

TEST_CASE("release levels: a GeoPackage takes its field types from the typed table") {
  const nl::ReleaseLevels r = two_level_record();
  const auto stats = nl::parse_statistics("mean_area");
  const std::string path = temp_dir("typed-gpkg") + "/county.gpkg";
  std::vector<nl::UnitGeometry> units(2);
  units[0].code = "0110";
  units[1].code = "0220";
  nl::write_level_geopackage(path, "county", units, nullptr, nl::level_table(r, "county", stats, 0.5));
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
  REQUIRE(ds);
  OGRLayer* layer = ds->GetLayer(0);
  OGRFeatureDefn* defn = layer->GetLayerDefn();
  auto type = [&](const char* name) { return defn->GetFieldDefn(defn->GetFieldIndex(name))->GetType(); };
  CHECK(type("code") == OFTString);
  CHECK(type("province") == OFTString);  // "01": an admin code is text, its leading zero kept
  CHECK(type("included") == OFTInteger64);
  CHECK(type("mean_area") == OFTReal);
  std::unique_ptr<OGRFeature> f(layer->GetNextFeature());
  REQUIRE(f);
  CHECK(std::string(f->GetFieldAsString("province")) == "01");
  CHECK(std::string(f->GetFieldAsString("name")) == "A, \"quoted\"");
  // Row 0 of the window: Σ c·A·x / Σ c·A = (1 + 2 + 3) · 2.5 / (3 · 2.5) = 2.
  CHECK(f->GetFieldAsDouble("mean_area") == 2.0);
  CHECK(f->GetFieldAsDouble("gap_to_reference") == doctest::Approx(1 - 2.0 / 1.75).epsilon(1e-15));
  f.reset(layer->GetNextFeature());
  REQUIRE(f);
  CHECK(!f->IsFieldSetAndNotNull(f->GetFieldIndex("gap_to_reference")));  // NaN brightness: null
}

TEST_CASE("release levels: convergence from records matches a least-squares fit by hand") {
  // Four units over 2000 and 2010; d has no valid cells in 2010, so it leaves the balanced panel.
  const std::vector<std::string> codes{"a", "b", "c", "d"};
  const double b2000[] = {1, 2, 4, 3}, b2010[] = {3, 4, 5, 0};
  auto record = [&](const std::string& id, const double* b) {
    nl::ReleaseLevels r;
    r.release = id;
    r.levels.resize(1);
    r.levels[0].name = "county";
    r.levels[0].codes = codes;
    for (size_t u = 0; u < codes.size(); ++u) {
      nl::ZoneAccumulator a;
      a.count = b[u] > 0 ? 1 : 0;
      a.valid_area = b[u] > 0 ? 10 : 0;
      a.nodata_area = b[u] > 0 ? 0 : 10;
      a.sum_area = 10 * b[u];
      r.levels[0].acc.push_back(a);
    }
    r.region_of_level = {{}};
    return r;
  };
  const std::vector<nl::LevelValues> values{nl::level_values(record("2000", b2000), "county", 0.5),
                                            nl::level_values(record("2010", b2010), "county", 0.5)};
  const auto t = nl::convergence_tables("county", {"2000", "2010"}, values, false);
  // β by hand: g = ln(b2010 / b2000) / 10 on x = ln b2000 over a, b, c.
  double x[3], g[3], mx = 0, mg = 0;
  for (int i = 0; i < 3; ++i) {
    x[i] = std::log(b2000[i]);
    g[i] = std::log(b2010[i] / b2000[i]) / 10;
    mx += x[i] / 3;
    mg += g[i] / 3;
  }
  double sxy = 0, sxx = 0;
  for (int i = 0; i < 3; ++i) {
    sxy += (x[i] - mx) * (g[i] - mg);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  std::istringstream in(t.convergence_csv);
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    const auto cells = nl::split_csv_line(line);
    if (cells[1] != "beta" || cells[3] != "log_initial_brightness") continue;
    found = true;
    CHECK(std::stod(cells[4]) == doctest::Approx(sxy / sxx).epsilon(1e-12));
    CHECK(cells[8] == "3");  // n: a, b, c
    CHECK(cells[9] == "1");  // left out: d
  }
  CHECK(found);
}
