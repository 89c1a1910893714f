// In-process tests of the batch run's stages, without the binary and without ../shared/data:
// planning, the settings fingerprint, the analysis of one release (levels, gaps, Hu line sides,
// level tables) from accumulators set by hand, and each writer (staged release folder,
// provenance, panel, manifest).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pipeline/analysis/hu_line.hpp"
#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/app/batch_run.hpp"
#include "pipeline/app/levels_records_seen.hpp"
#include "pipeline/app/panel_outputs.hpp"
#include "pipeline/app/release_history.hpp"
#include "pipeline/app/release_plan.hpp"
#include "pipeline/app/settings_fingerprint.hpp"
#include "pipeline/app/zonal_command.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/manifest.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/provenance.hpp"
#include "pipeline/io/release_folder.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace nl;
using nl::testsupport::temp_dir;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
std::string slurp(const std::string& path) { return read_whole_file(path).value_or("<missing>"); }

// A release of one raster file named <id>.tif in `dir`.
ReleaseFile release_file(const std::string& dir, const std::string& id, const std::string& content) {
  write(dir + "/" + id + ".tif", content);
  return ReleaseFile{id, dir + "/" + id + ".tif", "", {}, {}, 0, "", ""};
}

ReleaseRecord done_record(const ReleaseFile& r, const std::string& settings) {
  return ReleaseRecord{"done", "", "2026-01-01T00:00:00Z", release_stamps(r, true), settings, std::nullopt, {}};
}

std::map<std::string, std::string> actions(const std::vector<PlannedRelease>& plan) {
  std::map<std::string, std::string> a;
  for (const auto& p : plan) a[p.release.id] = action_name(p.action);
  return a;
}

// configs/sample.yaml writing tables only (no maps, no GeoPackages: they have tests of their
// own) into `out`; `releases`, when given, replaces its glob of release files.
std::string sample_tables_config(const std::string& out, const std::string& releases = "") {
  std::string config = read_whole_file(std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs/sample.yaml").value();
  config.replace(config.find("../demo-out"), 11, out + "\n  maps: false");
  config.erase(config.find("  geopackage:"));
  if (!releases.empty()) {
    const std::string glob = "../samples/dmsp-*-5arcmin.tif";
    config.replace(config.find(glob), glob.size(), releases);
  }
  for (const char* rel : {"../samples/dmsp", "../samples/counties", "china-regions.yaml"}) {
    const size_t at = config.find(rel);
    if (at != std::string::npos)
      config.replace(at, std::string(rel).size(), std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs/" + rel);
  }
  return config;
}

}  // namespace

TEST_CASE("stages: planning gives each release the action its manifest record calls for") {
  const std::string dir = temp_dir("stages-plan");
  const std::string releases_dir = dir + "/releases";
  std::vector<ReleaseFile> rel;
  for (const char* id : {"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"}) rel.push_back(release_file(dir, id, id));
  Manifest m;
  m.releases["r2"] = done_record(rel[1], "S");
  m.releases["r2"].state = "failed";
  m.releases["r3"] = done_record(rel[2], "old settings");
  m.releases["r4"] = done_record(rel[3], "S");  // its folder is missing
  for (int i : {4, 5, 6, 7}) m.releases[rel[i].id] = done_record(rel[i], "S");
  for (int i : {1, 2, 4, 5, 6}) {
    fs::create_directories(releases_dir + "/" + rel[i].id);
    write(releases_dir + "/" + rel[i].id + "/" + kReleaseLevelsFile, "typed levels");
  }
  // r8's folder was written by a build before the typed levels record: its tables are redone.
  fs::create_directories(releases_dir + "/r8");
  const std::string r6_sha = m.releases["r6"].inputs[0].sha256;
  write(rel[5].path, "r6, re-processed");          // another size: changed
  m.releases["r7"].inputs[0].mtime_ns -= 1000;      // touched, same bytes: unchanged
  // The lookup the run makes (through LevelsRecordsSeen, which decides when to make it).
  auto in_folder = [&](const std::string& id) { return fs::exists(releases_dir + "/" + id + "/" + kReleaseLevelsFile); };
  const auto plan = plan_releases(rel, m, "S", in_folder, {});
  const std::map<std::string, std::string> expected{{"r1", "new"},           {"r2", "retry"},
                                                    {"r3", "settings-changed"}, {"r4", "tables-missing"},
                                                    {"r5", "unchanged"},      {"r6", "changed"},
                                                    {"r7", "unchanged"},      {"r8", "tables-missing"}};
  CHECK(actions(plan) == expected);
  CHECK(plan[5].previous_sha == r6_sha);
  // The touched file's new mtime is remembered, so the next run need not hash it again.
  CHECK(m.releases["r7"].inputs[0].mtime_ns == stamp_file(rel[6].path, false).mtime_ns);

  SUBCASE("--force redoes every release") {
    for (const auto& p : plan_releases(rel, m, "S", in_folder, {true, false}))
      CHECK(p.action == ReleaseAction::forced);
  }
  SUBCASE("--verify finds a file replaced by one of the same size and mtime") {
    const auto before = fs::last_write_time(rel[4].path);
    write(rel[4].path, "R5");  // same size as "r5"
    fs::last_write_time(rel[4].path, before);
    CHECK(actions(plan_releases(rel, m, "S", in_folder, {}))["r5"] == "unchanged");
    CHECK(actions(plan_releases(rel, m, "S", in_folder, {false, true}))["r5"] == "changed");
  }
}

namespace {

const char* kSettingsBlock = R"(releases:
  files: ../samples/dmsp-*-5arcmin.tif
  pattern: "dmsp-{year}-5arcmin.tif"
  units: DN
zones:
  counties:
    path: ../samples/counties.gpkg
    layer: counties
    id_field: adcode
    fields: [name, ctadcode]
levels:
  - name: county
    zones: counties
  - name: city
    from: county
    key: ctadcode
stats: [count, sum, mean]
lit_threshold: 0.5
output:
  directory: out
)";

// The same settings: other key order, flow style, comments.
const char* kSettingsFlow = R"(# the same run, written differently
output: {directory: out}
lit_threshold: 0.50   # nW
stats: [count, sum, mean]
levels: [{name: county, zones: counties}, {name: city, from: county, key: ctadcode}]
zones: {counties: {path: ../samples/counties.gpkg, layer: counties, id_field: adcode, fields: [name, ctadcode]}}
releases: {files: ../samples/dmsp-*-5arcmin.tif, pattern: "dmsp-{year}-5arcmin.tif", units: DN}
)";

std::string fingerprint_of(const std::string& text) {
  const std::string base = std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs";
  return settings_text(parse_run_config(text, "test.yaml", base, false));
}

}  // namespace

TEST_CASE("stages: the settings fingerprint follows the parsed settings, not the file's text") {
  const std::string block = fingerprint_of(kSettingsBlock);
  CHECK(block == fingerprint_of(kSettingsFlow));
  CHECK(block.find("lit 0.5 ") != std::string::npos);
  std::string other = kSettingsBlock;
  other.replace(other.find("lit_threshold: 0.5"), 18, "lit_threshold: 0.6");
  CHECK(fingerprint_of(other) != block);
  other = kSettingsBlock;
  other.replace(other.find("[count, sum, mean]"), 18, "[count, sum, max]");
  CHECK(fingerprint_of(other) != block);
  // The zone files' contents count too: the fingerprint changes when a zone file's bytes do.
  const std::string dir = temp_dir("stages-fingerprint");
  write(dir + "/zones.geojson", "{}");
  RunConfig cfg = parse_run_config(kSettingsBlock, "test.yaml", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs", false);
  cfg.zones[0].path = dir + "/zones.geojson";
  Manifest m;
  const std::string before = settings_fingerprint(cfg, m, false);
  REQUIRE(m.zone_inputs.size() == 1);
  CHECK(before == settings_fingerprint(cfg, m, false));
  write(dir + "/zones.geojson", "{ }");
  CHECK(settings_fingerprint(cfg, m, false) != before);
}

namespace {

const char* kAnalysisConfig = R"(releases: {files: x.tif, pattern: "{year}.tif", units: DN}
zones:
  counties: {path: ../samples/counties.gpkg, layer: counties, id_field: adcode, fields: [city, region]}
levels:
  - {name: county, zones: counties}
  - {name: city, from: county, key: city}
  - {name: region, from: county, key: region}
stats: [count, sum, mean_area]
min_valid_fraction: 0.5
gaps: {level: county, region_level: region, reference: East, groups: [East, West], west: West}
output: {directory: out}
)";

ZoneAccumulator unit(double count, double area, double sum_area) {
  ZoneAccumulator a;
  a.count = count;
  a.valid_area = area;
  a.sum = sum_area / area * count;
  a.sum_area = sum_area;
  a.lit_area = area;
  a.min = 0;
  a.max = 10;
  return a;
}

double column(const std::string& csv, int row, const std::string& name) {
  std::istringstream in(csv);
  std::string line;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  const auto& header = rows.at(0);
  const size_t c = std::find(header.begin(), header.end(), name) - header.begin();
  return std::stod(rows.at(row).at(c));
}

}  // namespace

TEST_CASE("stages: the analysis rolls counties up and measures the gap from accumulators alone") {
  RunConfig cfg = parse_run_config(kAnalysisConfig, "test.yaml", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs", false);
  ZoneSet counties;
  counties.field_names = {"city", "region"};
  counties.ids = {"c1", "c2", "c3", "c4"};
  counties.fields = {{"A", "East"}, {"A", "East"}, {"B", "West"}, {"B", "West"}};
  // Areas and light chosen so the answers are exact in binary: East 60/12 = 5, West 6/6 = 1.
  const std::vector<ZoneAccumulator> acc{unit(4, 4, 24), unit(8, 8, 36), unit(2, 2, 4), unit(4, 4, 2)};
  MeasuredZones zones{{&counties}, {0}, &acc};
  const std::map<std::string, std::string> side{{"c1", "east"}, {"c2", "east"}, {"c3", "west"}};
  ZoneAccumulator east = unit(12, 12, 60), west = unit(6, 6, 6);
  cfg.hu_line.level = "county";
  const HuLineSides hu{"geodesic", &east, &west, &side};
  const ReleaseTables t = analyse_release(cfg, "2020", zones, &hu);

  REQUIRE(t.levels.size() == 3);
  CHECK(t.levels[1].codes == std::vector<std::string>{"A", "B"});
  CHECK(t.levels[1].acc[0].sum_area == 60);  // c1 + c2
  CHECK(t.levels[2].acc[1].valid_area == 6);  // c3 + c4
  CHECK(t.region_of_level[0] == std::vector<std::string>{"East", "East", "West", "West"});
  CHECK(t.reference_brightness == 5);
  // gaps.csv: East then West; brightness 5 and 1, ratio to West 5.
  CHECK(column(t.gaps_csv, 1, "mean_area") == 5);
  CHECK(column(t.gaps_csv, 2, "mean_area") == 1);
  CHECK(column(t.gaps_csv, 1, "brightness_ratio_to_West") == 5);
  // county.csv: c3's mean_area 2, and its gap to the reference 1 − 2/5 (README).
  CHECK(column(t.level_csv[0], 3, "mean_area") == 2);
  CHECK(column(t.level_csv[0], 3, "gap_to_reference") == doctest::Approx(0.6).epsilon(1e-15));
  // hu_line.csv: c4, on no side's list, counts as west; the sides' own brightness 5 and 1.
  CHECK(column(t.hu_line_csv, 1, "units") + column(t.hu_line_csv, 2, "units") == 4);
  CHECK(t.words.find("release 2020 in words") == 0);
}

TEST_CASE("stages: the Hu line puts well-known cities on their side") {
  const std::string dir = temp_dir("stages-hu");
  // Small squares (0.2°) around four cities: Shanghai and Beijing lie east of the
  // Heihe–Tengchong line, Lhasa and Urumqi west of it.
  const std::vector<std::tuple<std::string, double, double>> cities{
      {"shanghai", 121.47, 31.23}, {"beijing", 116.40, 39.90}, {"lhasa", 91.11, 29.65}, {"urumqi", 87.62, 43.83}};
  std::string json = R"({"type":"FeatureCollection","features":[)";
  for (size_t i = 0; i < cities.size(); ++i) {
    const auto& [name, lon, lat] = cities[i];
    std::ostringstream ring;
    ring << "[[" << lon - 0.1 << "," << lat - 0.1 << "],[" << lon + 0.1 << "," << lat - 0.1 << "],[" << lon + 0.1
         << "," << lat + 0.1 << "],[" << lon - 0.1 << "," << lat + 0.1 << "],[" << lon - 0.1 << "," << lat - 0.1
         << "]]";
    json += (i ? "," : "") + std::string(R"({"type":"Feature","properties":{"id":")") + name +
            R"("},"geometry":{"type":"Polygon","coordinates":[)" + ring.str() + "]}}";
  }
  write(dir + "/cities.geojson", json + "]}");
  const auto sides = hu_line_sides_of_zones(HuLineDefinition{}, dir + "/cities.geojson", "", "id", Datum::wgs84);
  const std::map<std::string, std::string> expected{
      {"shanghai", "east"}, {"beijing", "east"}, {"lhasa", "west"}, {"urumqi", "west"}};
  CHECK(sides == expected);
}

TEST_CASE("stages: a staged release folder replaces the old one whole, or not at all") {
  const std::string dir = temp_dir("stages-folder");
  fs::create_directories(dir + "/2020");
  write(dir + "/2020/old.csv", "old");
  {
    StagedReleaseFolder stage(dir, "2020");
    stage.write("county.csv", "new");
    CHECK(slurp(dir + "/2020/old.csv") == "old");  // untouched until the commit
    const uint64_t committed = stage.commit();
    struct stat st {};
    REQUIRE(::stat((dir + "/2020").c_str(), &st) == 0);
    CHECK(committed == static_cast<uint64_t>(st.st_ino));  // the number a listing gives the folder
  }
  CHECK(!fs::exists(dir + "/2020/old.csv"));
  CHECK(slurp(dir + "/2020/county.csv") == "new");
  {
    StagedReleaseFolder stage(dir, "2020");
    stage.write("county.csv", "abandoned");
  }  // not committed: the staging folder goes, the tables stay
  CHECK(slurp(dir + "/2020/county.csv") == "new");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("stages: provenance.json holds the typed record") {
  Provenance p;
  p.config_path = "/data/run.yaml";
  p.release = "2020-03";
  p.action = "changed";
  p.previous_sha256 = "ab";
  p.config_text = "a: \"quoted\"\n";
  p.inputs.push_back({"raster", FileStamp{"/data/x.tif", 12, 34, "cd"}});
  p.zones_repaired = {0, 3};
  p.timings_s = {{"zonal", 1.5}, {"total", 2.25}};
  p.cells_read = 1000;
  p.tiles_needed = 4;
  p.tiles_missing = {"h30v06"};
  const auto j = nlohmann::json::parse(provenance_json(p));
  CHECK(j["release"] == "2020-03");
  CHECK(j["reprocessed_previous_sha256"] == "ab");
  CHECK(j["config"] == "a: \"quoted\"\n");
  CHECK(j["inputs"][0]["size"] == 12);
  CHECK(j["inputs"][0]["sha256"] == "cd");
  CHECK(j["zones_repaired"] == nlohmann::json::array({0, 3}));
  CHECK(j["timings_s"]["total"] == 2.25);
  CHECK(j["tiles_missing"] == nlohmann::json::array({"h30v06"}));
  Provenance untiled = p;
  untiled.tiles_needed.reset();
  CHECK(!nlohmann::json::parse(provenance_json(untiled)).contains("tiles_needed"));
}

TEST_CASE("stages: the panel stacks the releases' tables under one header, in release order") {
  const std::string out = temp_dir("stages-panel");
  RunConfig cfg = parse_run_config(kSettingsBlock, "test.yaml", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs", false);
  for (const char* id : {"2019", "2020"}) {
    fs::create_directories(out + "/releases/" + id);
    write(out + "/releases/" + id + "/county.csv", std::string("release,code\n") + id + ",a\n" + id + ",b\n");
    write(out + "/releases/" + id + "/city.csv", std::string("release,code\n") + id + ",A\n");
  }
  write_panel_tables(out, cfg, {{"2019", "1"}, {"2020", "1"}});
  CHECK(slurp(out + "/panel/county.csv") == "release,code\n2019,a\n2019,b\n2020,a\n2020,b\n");
  CHECK(slurp(out + "/panel/city.csv") == "release,code\n2019,A\n2020,A\n");
  write_panel_tables(out, cfg, {});  // no release backs a panel any more
  CHECK(!fs::exists(out + "/panel"));
}

TEST_CASE("stages: a new release is appended to the panel, which is rebuilt when an older one changed") {
  const std::string out = temp_dir("stages-panel-append");
  RunConfig cfg = parse_run_config(kSettingsBlock, "test.yaml", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs", false);
  auto release = [&](const std::string& id, const std::string& value) {
    fs::create_directories(out + "/releases/" + id);
    write(out + "/releases/" + id + "/county.csv", "release,code,v\n" + id + ",a," + value + "\n" + id + ",b,1\n");
    write(out + "/releases/" + id + "/city.csv", "release,code\n" + id + ",A\n");
  };
  auto inode = [](const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
  };
  // The releases as the run knows them: ids with their tables' versions (here by hand: "v1", then
  // "v2" for a release redone), which is all the panel compares.
  std::map<std::string, std::string> version;
  auto releases = [&](std::initializer_list<const char*> ids) {
    std::vector<PanelRelease> r;
    for (const char* id : ids) r.push_back({id, version.count(id) ? version[id] : "v1"});
    return r;
  };
  const std::string panel = out + "/panel/county.csv";
  release("2019", "5");
  release("2020", "6");
  write_panel_tables(out, cfg, releases({"2019", "2020"}));
  const auto first = inode(panel);
  // A third release: its rows appended to the same file (same inode), the whole equal to a
  // stacking from scratch.
  release("2021", "7");
  write_panel_tables(out, cfg, releases({"2019", "2020", "2021"}));
  CHECK(inode(panel) == first);
  CHECK(slurp(panel) == "release,code,v\n2019,a,5\n2019,b,1\n2020,a,6\n2020,b,1\n2021,a,7\n2021,b,1\n");
  CHECK(slurp(out + "/panel/city.csv") == "release,code\n2019,A\n2020,A\n2021,A\n");
  // Nothing new: the panel is left alone.
  write_panel_tables(out, cfg, releases({"2019", "2020", "2021"}));
  CHECK(inode(panel) == first);
  // A table of an old release edited by hand, its version unchanged: the panel is not told (it
  // looks into no old release's folder; README, "A daily job") and keeps the rows the run wrote...
  write(out + "/releases/2019/county.csv", "release,code,v\n2019,a,edited\n2019,b,1\n");
  write_panel_tables(out, cfg, releases({"2019", "2020", "2021"}));
  CHECK(inode(panel) == first);
  CHECK(slurp(panel) == "release,code,v\n2019,a,5\n2019,b,1\n2020,a,6\n2020,b,1\n2021,a,7\n2021,b,1\n");
  // ...until `run --verify` stacks every table again from the folders.
  write_panel_tables(out, cfg, releases({"2019", "2020", "2021"}), true);
  CHECK(slurp(panel) == "release,code,v\n2019,a,edited\n2019,b,1\n2020,a,6\n2020,b,1\n2021,a,7\n2021,b,1\n");
  release("2019", "5");
  write_panel_tables(out, cfg, releases({"2019", "2020", "2021"}), true);
  const auto restacked = inode(panel);
  // 2020 redone with another value (a new version): the panel is written whole again.
  release("2020", "60");
  version["2020"] = "v2";
  write_panel_tables(out, cfg, releases({"2019", "2020", "2021"}));
  CHECK(inode(panel) != restacked);
  CHECK(slurp(panel) == "release,code,v\n2019,a,5\n2019,b,1\n2020,a,60\n2020,b,1\n2021,a,7\n2021,b,1\n");
  // An append cut short (the file shorter than its record says): written whole on the next run.
  fs::resize_file(panel, fs::file_size(panel) - 4);
  release("2022", "8");
  write_panel_tables(out, cfg, releases({"2019", "2020", "2021", "2022"}));
  CHECK(slurp(panel) == "release,code,v\n2019,a,5\n2019,b,1\n2020,a,60\n2020,b,1\n2021,a,7\n2021,b,1\n"
                        "2022,a,8\n2022,b,1\n");
  // A release dropped from the list (its raster deleted and its record gone): written whole.
  write_panel_tables(out, cfg, releases({"2019", "2021", "2022"}));
  CHECK(slurp(panel) == "release,code,v\n2019,a,5\n2019,b,1\n2021,a,7\n2021,b,1\n2022,a,8\n2022,b,1\n");
  // The stamp beside the panel is appended to as well: a line per release, with the panel's size
  // once its rows were in: a 15-byte header, then 9-byte rows, two per release.
  const std::string stamp = out + "/panel/.county.stacked";
  const auto stamp_inode = inode(stamp);
  release("2023", "9");
  write_panel_tables(out, cfg, releases({"2019", "2021", "2022", "2023"}));
  CHECK(inode(stamp) == stamp_inode);
  CHECK(slurp(stamp) == "2019 v1 33\n2021 v1 51\n2022 v1 69\n2023 v1 87\n");
  CHECK(fs::file_size(panel) == 87);
  const std::string all = "release,code,v\n2019,a,5\n2019,b,1\n2021,a,7\n2021,b,1\n2022,a,8\n2022,b,1\n2023,a,9\n2023,b,1\n";
  // A stamp cut short (its last line without its newline), or in the form before (the size on a
  // line of its own): the panel is stacked whole, and the same.
  for (const std::string& damaged : {std::string("2019 v1 33\n2021 v1 51\n2022 v1 69\n2023 v1 8"),
                                    std::string("87\n2019 v1\n2021 v1\n2022 v1\n2023 v1\n")}) {
    write(stamp, damaged);
    const auto before = inode(panel);
    write_panel_tables(out, cfg, releases({"2019", "2021", "2022", "2023"}));
    CHECK(inode(panel) != before);
    CHECK(slurp(panel) == all);
    CHECK(slurp(stamp) == "2019 v1 33\n2021 v1 51\n2022 v1 69\n2023 v1 87\n");
  }
}

TEST_CASE("stages: the manifest reads back what was saved") {
  const std::string dir = temp_dir("stages-manifest");
  Manifest m;
  m.units = "nW/cm2/sr";
  m.has_grid = true;
  const double g[6] = {70.5, 55.25, 1.0 / 240, -1.0 / 240, 4800, 2400};
  std::copy(g, g + 6, m.grid_values);
  m.zone_inputs.push_back(FileStamp{"/z.gpkg", 10, 20, "ee"});
  m.releases["2020"] = {"failed", "read error: block 3", "t1", {FileStamp{"/a.tif", 1, 2, "ff"}}, "S",
                        GoodTables{"t0", {FileStamp{"/a.tif", 1, 1, "aa"}}, "S"}, {"h30v06"}};
  save_manifest(dir + "/manifest.yaml", m);
  const Manifest back = load_manifest(dir + "/manifest.yaml");
  CHECK(back.units == m.units);
  for (int i = 0; i < 6; ++i) CHECK(back.grid_values[i] == g[i]);
  const ReleaseRecord& r = back.releases.at("2020");
  CHECK(r.state == "failed");
  CHECK(r.reason == "read error: block 3");
  CHECK(r.inputs.at(0).sha256 == "ff");
  REQUIRE(r.last_good);
  CHECK(r.last_good->inputs.at(0).mtime_ns == 1);
  CHECK(r.missing_tiles == std::vector<std::string>{"h30v06"});
  CHECK(back.zone_inputs.at(0).path == "/z.gpkg");
}

TEST_CASE("stages: one progress callback reports every window and can cancel, in zonal and in run") {
  const std::string samples = std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples";
  ZonalCommandOptions o;
  o.raster = samples + "/dmsp-2008-5arcmin.tif";
  o.zones = ZoneSource{samples + "/counties.gpkg", "counties", "adcode", {}, "", Datum::gcj02};
  o.stats = parse_statistics("sum");
  o.threads = 2;
  std::atomic<int> calls{0};
  std::atomic<bool> monotone_end{false};
  const ZonalTable t = compute_zonal_table(o, [&](double fraction) {
    ++calls;
    if (fraction == 1.0) monotone_end = true;
    return true;
  });
  // One report per window read, the last one 1.
  CHECK(calls == t.windows_read);
  CHECK(monotone_end);
  CHECK(t.accumulators.size() == 809);
  std::atomic<int> before_cancel{0};
  CHECK_THROWS_AS(compute_zonal_table(o, [&](double) { return ++before_cancel < 2; }), Cancelled);

  // The run: a cancelled release leaves no tables and no "done" record; the next run does it.
  const std::string dir = temp_dir("stages-cancel");
  write(dir + "/run.yaml", sample_tables_config(dir + "/out"));
  BatchOptions b;
  b.config = dir + "/run.yaml";
  b.progress = [](double) { return false; };
  CHECK_THROWS_AS(run_batch(b), Cancelled);
  CHECK(!fs::exists(dir + "/out/releases/2008"));
  b.progress = {};
  CHECK(run_batch(b) == 0);
  CHECK(fs::exists(dir + "/out/releases/2008/county.csv"));
  CHECK(load_manifest(dir + "/out/manifest.yaml").releases.at("2008").state == "done");
}

TEST_CASE("stages: a run that fails a release says so through the diagnostics sink, not straight to stderr") {
  // One good release and one file that is not a raster: the run goes on, then returns 1 and
  // gives its verdict as an error message that an embedding program's sink receives.
  const std::string dir = temp_dir("stages-failure-sink");
  fs::create_directories(dir + "/rel");
  fs::copy_file(std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples/dmsp-2008-5arcmin.tif", dir + "/rel/dmsp-2008-5arcmin.tif");
  write(dir + "/rel/dmsp-2009-5arcmin.tif", "not a raster");
  write(dir + "/run.yaml", sample_tables_config(dir + "/out", dir + "/rel/dmsp-*-5arcmin.tif"));
  BatchOptions b;
  b.config = dir + "/run.yaml";
  std::vector<std::pair<Severity, std::string>> seen;
  int status = -1;
  {
    const ScopedDiagnosticsSink sink([&](Severity s, const std::string& m) { seen.emplace_back(s, m); });
    status = run_batch(b);
  }
  CHECK(status == 1);
  CHECK(fs::exists(dir + "/out/releases/2008/county.csv"));
  std::vector<std::string> errors;
  for (const auto& [severity, message] : seen)
    if (severity == Severity::error) errors.push_back(message);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "1 release(s) failed; see " + dir + "/out/manifest.yaml");
}

TEST_CASE("stages: a run looks into an old release's folder once per version of it, and redoes one whose folder or record is gone") {
  // Two releases (the sample raster as 2008 and 2009) and the actions each run takes, read from
  // its log ("release 2009 (2/2, tables-missing): done in ...").
  const std::string dir = temp_dir("stages-history"), out = dir + "/out";
  fs::create_directories(dir + "/rel");
  for (const char* year : {"2008", "2009"})
    fs::create_symlink(std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples/dmsp-2008-5arcmin.tif",
                       dir + "/rel/dmsp-" + year + "-5arcmin.tif");
  write(dir + "/run.yaml", sample_tables_config(out, dir + "/rel/dmsp-*-5arcmin.tif"));
  auto run = [&](bool verify) {
    BatchOptions b;
    b.config = dir + "/run.yaml";
    b.verify = verify;
    std::map<std::string, std::string> done;
    const ScopedDiagnosticsSink sink([&](Severity, const std::string& m) {
      const auto open = m.find(", "), close = m.find("): done in");
      if (m.rfind("release ", 0) == 0 && open != std::string::npos && close != std::string::npos)
        done[m.substr(8, m.find(' ', 8) - 8)] = m.substr(open + 2, close - open - 2);
    });
    REQUIRE(run_batch(b) == 0);
    return done;
  };
  using Done = std::map<std::string, std::string>;
  const std::string seen = levels_records_seen_path(out), record = std::string("/") + kReleaseLevelsFile;
  auto version = [&](const std::string& id) {  // independently: the folder's inode, the manifest's time
    struct stat st {};
    REQUIRE(::stat((out + "/releases/" + id).c_str(), &st) == 0);
    return id + "\t" + std::to_string(st.st_ino) + " " + load_manifest(out + "/manifest.yaml").releases.at(id).finished;
  };
  CHECK(run(false) == Done{{"2008", "new"}, {"2009", "new"}});
  // The next run looks both records up (each folder's version is new) and remembers them.
  CHECK(run(false).empty());
  CHECK(slurp(seen) == version("2008") + "\n" + version("2009") + "\n");
  // A record deleted by hand from a remembered folder is not looked for: nothing is redone...
  fs::remove(out + "/releases/2009" + record);
  CHECK(run(false).empty());
  // ...until --verify looks into every folder, or a reader that needs the record finds it gone.
  CHECK(run(true) == Done{{"2009", "tables-missing"}});
  CHECK(slurp(seen) == version("2008") + "\n");  // 2009's new folder: looked up next time
  fs::remove(out + "/releases/2008" + record);
  const std::string message = out + "/releases/2008: no " + kReleaseLevelsFile + "; run again to rebuild it";
  CHECK_THROWS_WITH_AS(throw_missing_levels_record(out, "2008"), message.c_str(), UserError);
  CHECK(!fs::exists(seen));  // forgotten: the next run looks into every folder
  CHECK(run(false) == Done{{"2008", "tables-missing"}});
  // A release folder deleted by hand: the one listing of releases/ notices it.
  fs::remove_all(out + "/releases/2009");
  CHECK(run(false) == Done{{"2009", "tables-missing"}});
  CHECK(run(false).empty());
  CHECK(slurp(seen) == version("2008") + "\n" + version("2009") + "\n");
}
