// The shipped configurations parse, and the VIIRS ones pass --dry-run against generated
// stand-in files named like EOG's releases.
#include <doctest/doctest.h>

#include "pipeline/io/config.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/releases.hpp"
#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {
const std::string kConfigs = std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs/";

void touch(const std::string& path) { write_text(path, "stand-in\n"); }
}  // namespace

TEST_CASE("configs: every shipped configuration parses") {
  for (const char* name : {"sample.yaml", "china-dmsp.yaml", "china-viirs-annual.yaml", "china-viirs-monthly.yaml"}) {
    INFO(name);
    const RunConfig c = load_run_config(kConfigs + name);
    CHECK(c.levels.size() == 4);
    CHECK(c.levels[3].lookup.at("44") == "East");
    CHECK(c.levels[3].lookup.at("65") == "West");
    CHECK(c.levels[3].lookup.at("81") == "other");
  }
}

TEST_CASE("configs: release ids from EOG names") {
  CHECK(release_id_from_name("VNL_v21_npp_2021_global_vcmslcfg_c202205302300.average_masked.dat.tif",
                             "VNL_*_{year}_global_vcmslcfg_*.average_masked.dat.tif") == "2021");
  CHECK(release_id_from_name("SVDNB_npp_20210301-20210331_75N060E_vcmslcfg_v10_c202104061200.avg_rade9h.tif",
                             "SVDNB_npp_{year}{month}{day}-*_75N060E_vcmslcfg_*.avg_rade9h.tif", "{year}-{month}") == "2021-03");
  CHECK_FALSE(release_id_from_name("SVDNB_npp_20210301-20210331_75N060E_vcmslcfg_v10_c202104061200.cf_cvg.tif",
                                   "SVDNB_npp_{year}{month}{day}-*_75N060E_vcmslcfg_*.avg_rade9h.tif"));
  CHECK(release_id_from_name("viirs_leh_2019_12.tif", "viirs_leh_{year}_{month}.tif") == "2019-12");
  CHECK_FALSE(release_id_from_name("viirs_leh_2019_12_cf.tif", "viirs_leh_{year}_{month}.tif"));
  CHECK_FALSE(release_id_from_name("viirs_leh_2019_13.tif", "viirs_leh_{year}_{month}.tif"));  // no month 13
  CHECK_THROWS_AS(release_id_from_name("x", "{week}.tif"), std::invalid_argument);
  // A `*` takes as much as it can, as a glob user reads it: the year is the last 4 digits before `.tif`.
  CHECK(release_id_from_name("a_1999_2000.tif", "a_*{year}.tif") == "2000");
  CHECK(release_id_from_name("dmsp2008.tif", "dmsp?{year}.tif") == std::nullopt);  // `?` is exactly one character
  CHECK(release_id_from_name("dmspX2008.tif", "dmsp?{year}.tif") == "2008");
  // Found by the fuzzer: runs of `*` against a long name that does not match backtracked for
  // minutes in std::regex. The table matcher answers at once.
  CHECK_FALSE(release_id_from_name(std::string(4000, 'b') + "es", std::string(30, '*') + "a"));
  CHECK(release_id_from_name(std::string(4000, 'b') + "_2020", std::string(30, '*') + "_{year}") == "2020");
  QualityConfig q;
  q.replace_from = "avg_rade9h";
  q.replace_to = "cf_cvg";
  CHECK(quality_path_for("/d/SVDNB_x.avg_rade9h.tif", q) == "/d/SVDNB_x.cf_cvg.tif");
  QualityConfig t;
  t.template_name = "{stem}_cf.tif";
  CHECK(quality_path_for("/d/viirs_leh_2019_12.tif", t) == "/d/viirs_leh_2019_12_cf.tif");
}

TEST_CASE("configs: VIIRS annual config --dry-run on stand-in EOG files") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found; skipped");
    return;
  }
  const std::string dir = temp_dir("viirs-annual-dry");
  const char* stamps[] = {"2019_global_vcmslcfg_c202102150000", "2020_global_vcmslcfg_c202205302300",
                          "2021_global_vcmslcfg_c202205302300"};
  for (const char* s : stamps) {
    touch(dir + "/VNL_v21_npp_" + s + ".average_masked.dat.tif");
    touch(dir + "/VNL_v21_npp_" + s + ".cf_cvg.dat.tif");
  }
  auto r = nightlights("run " + kConfigs + "china-viirs-annual.yaml --dry-run --releases '" + dir + "/VNL_*.average_masked.dat.tif'");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  for (const char* year : {"2019\tnew", "2020\tnew", "2021\tnew"}) CHECK(r.output.find(year) != std::string::npos);
  CHECK(r.output.find("cf_cvg.dat.tif") != std::string::npos);
  CHECK(r.output.find("MISSING") == std::string::npos);
  CHECK(r.output.find("3 release(s), 3 would be processed") != std::string::npos);
}

TEST_CASE("configs: VIIRS monthly config --dry-run on stand-in EOG files, a missing cf_cvg flagged") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found; skipped");
    return;
  }
  const std::string dir = temp_dir("viirs-monthly-dry");
  const char* months[] = {"20210101-20210131", "20210201-20210228", "20210301-20210331"};
  for (const char* m : months) {
    const std::string base = dir + "/SVDNB_npp_" + m + "_75N060E_vcmslcfg_v10_c202104061200";
    touch(base + ".avg_rade9h.tif");
    if (std::string(m) != "20210201-20210228") touch(base + ".cf_cvg.tif");
  }
  auto r = nightlights("run " + kConfigs + "china-viirs-monthly.yaml --dry-run --releases '" + dir + "/SVDNB_npp_*.tif'");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("2021-01\tnew") != std::string::npos);
  CHECK(r.output.find("2021-03\tnew") != std::string::npos);
  CHECK(r.output.find("20210201-20210228_75N060E_vcmslcfg_v10_c202104061200.cf_cvg.tif (MISSING)") != std::string::npos);
  CHECK_FALSE(fs::exists(kConfigs + "../out/china-viirs-monthly/manifest.yaml"));  // nothing written
}

TEST_CASE("configs: unknown key names file, line and the closest key") {
  const std::string text = "releases:\n  files: x.tif\n  pattern: \"{year}.tif\"\n  units: DN\nzones:\n  c: {path: z.gpkg, id_field: id}\n"
                           "levels:\n  - {name: county, zones: c}\nstatz: [count]\noutput: {directory: o}\n";
  try {
    parse_run_config(text, "my.yaml", "/tmp");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()) == "my.yaml:9: unknown key 'statz' in the configuration (did you mean 'stats'?)");
  }
  try {
    parse_run_config("releases: [unclosed\n", "bad.yaml", "/tmp");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()).rfind("bad.yaml:", 0) == 0);
    CHECK(std::string(e.what()).find("malformed YAML") != std::string::npos);
  }
}

// Found by the fuzzer in CI: a flow mapping used as a key (`- {…}:` is valid YAML) reached
// yaml-cpp's string conversion and terminated the program instead of giving our error.
TEST_CASE("configs: a mapping where a key, name or list item belongs is an error with its line") {
  const std::string head = "releases:\n  files: x.tif\n  pattern: \"{year}.tif\"\n  units: DN\nzones:\n  c: {path: z.gpkg, id_field: id}\n";
  const std::string tail = "output: {directory: o}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + "levels:\n  - {name: county, zones: c}:\n" + tail, "my.yaml:8: a key in a level must be a text value"},
      {head + "levels:\n  - {name: county, zones: c}\n{a: b}: 1\n" + tail, "my.yaml:9: a key in the configuration must be"},
      {head + "levels:\n  - {name: county, zones: c}\nstats: [count, {a: b}]\n" + tail, "my.yaml:9: items of 'stats' must be"},
  };
  for (const auto& [text, expected_start] : cases) {
    CAPTURE(text);
    try {
      parse_run_config(text, "my.yaml", "/tmp");
      FAIL("expected an error");
    } catch (const UserError& e) {
      CHECK(std::string(e.what()).rfind(expected_start, 0) == 0);
    }
  }
}

// The fuzzer found a key prefix longer than an int holds: std::stoi threw out_of_range, which
// no caller catches, and the run died. It is a configuration error with its line.
TEST_CASE("configs: a key prefix too long for any code is an error with its line, not a crash") {
  const std::string text = "releases:\n  files: x.tif\n  pattern: \"{year}.tif\"\n  units: DN\nzones:\n"
                           "  c: {path: z.gpkg, id_field: id}\nlevels:\n  - {name: county, zones: c}\n"
                           "  - {name: city, from: county, key: \"id[0:244444444444]\"}\noutput: {directory: o}\n";
  try {
    parse_run_config(text, "my.yaml", "/tmp");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()).rfind("my.yaml:9: key 'id[0:244444444444]': a prefix of 244444444444 characters is beyond any code", 0) == 0);
  }
}

// Its twin: preprocess.calibrated_range was read with std::stod, so a bound that is not a number
// threw std::invalid_argument past every caller.
TEST_CASE("configs: a calibrated_range bound that is not a number is an error with its line, not a crash") {
  const std::string head = "releases:\n  files: F*.tif\n  product: dmsp-ols\n  units: DN\npreprocess:\n"
                           "  intercalibration: elvidge2014\n  calibrated_range: ";
  const std::string tail = "\nzones:\n  c: {path: z.gpkg, id_field: id}\nlevels:\n  - {name: county, zones: c}\n"
                           "output: {directory: o}\n";
  try {
    parse_run_config(head + "[abc, 2]" + tail, "my.yaml", "/tmp", false);
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()).rfind("my.yaml:7: preprocess.calibrated_range must be two numbers, [low, high]", 0) == 0);
  }
  const RunConfig c = parse_run_config(head + "[0.5, 62]" + tail, "my.yaml", "/tmp", false);
  CHECK(c.releases.dmsp.conventions.clip_low == 0.5);  // the numbers as written
  CHECK(c.releases.dmsp.conventions.clip_high == 62.0);
}

// Relative paths with ':' were kept as written, so they were opened relative to the working
// directory instead of the config's folder. GDAL's subdataset names keep their driver prefix
// with the file part resolved; URLs, Windows paths and connection strings stay as written.
TEST_CASE("configs: paths with ':' resolve against the config's folder, GDAL prefixes and URLs kept") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"data/a:b.gpkg", "/cfg/data/a:b.gpkg"},                        // a plain file with ':'
      {"HDF5:\"x.h5\"://HDFEOS/GRIDS/a", "HDF5:\"/cfg/x.h5\"://HDFEOS/GRIDS/a"},
      {"NETCDF:\"sub/x.nc\":radiance", "NETCDF:\"/cfg/sub/x.nc\":radiance"},
      {"GPKG:x.gpkg:counties", "GPKG:/cfg/x.gpkg:counties"},
      {"HDF5:\"/abs/x.h5\"://a", "HDF5:\"/abs/x.h5\"://a"},            // already absolute
      {"/vsicurl/https://example.org/z.gpkg", "/vsicurl/https://example.org/z.gpkg"},
      {"https://example.org/z.geojson", "https://example.org/z.geojson"},
      {"C:\\data\\z.gpkg", "C:\\data\\z.gpkg"},
      {"C:/data/z.gpkg", "C:/data/z.gpkg"},
      {"PG:dbname=zones", "PG:dbname=zones"},
      {"WFS:http://example.org/wfs", "WFS:http://example.org/wfs"},
      {"z.gpkg", "/cfg/z.gpkg"},
  };
  std::string zones;
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string quoted;  // YAML single quotes: backslashes and double quotes as they are
    for (char ch : cases[i].first) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    zones += "  z" + std::to_string(i) + ": {path: '" + quoted + "', id_field: id}\n";
  }
  const std::string text = "releases:\n  files: 'rel/a:b_*.tif'\n  pattern: \"{year}.tif\"\n  units: DN\nzones:\n" +
                           zones + "levels:\n  - {name: county, zones: z0}\noutput: {directory: 'out:1'}\n";
  const RunConfig c = parse_run_config(text, "my.yaml", "/cfg");
  REQUIRE(c.zones.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(cases[i].first);
    CHECK(c.zones[i].path == cases[i].second);
  }
  CHECK(c.releases.files.at(0) == "/cfg/rel/a:b_*.tif");
  CHECK(c.output.directory == "/cfg/out:1");
}

// `directory: ""` resolved to "" and the run wrote manifest.yaml, releases/ and panel/ into `/`.
TEST_CASE("configs: an empty output.directory is an error with its line") {
  const std::string head = "releases:\n  files: x.tif\n  pattern: \"{year}.tif\"\n  units: DN\nzones:\n"
                           "  c: {path: z.gpkg, id_field: id}\nlevels:\n  - {name: county, zones: c}\n";
  for (const std::string value : {"\"\"", "'  '"}) {
    CAPTURE(value);
    try {
      parse_run_config(head + "output: {directory: " + value + "}\n", "my.yaml", "/tmp");
      FAIL("expected an error");
    } catch (const UserError& e) {
      CHECK(std::string(e.what()) == "my.yaml:9: output.directory must not be empty (give a folder, e.g. out/)");
    }
  }
  try {
    parse_run_config(head + "output: {bom: true}\n", "my.yaml", "/tmp");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()) == "my.yaml:9: output.directory is required");
  }
}
