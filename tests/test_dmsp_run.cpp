// `releases.product: dmsp-ols` end to end: synthetic raw composites for 1992-2012 named as NOAA
// names them (both satellites where two flew) give one release per year; a two-satellite year's
// zone sums equal the calibrated, combined cells computed by hand (lit in both, in one, in
// neither, no observation in one or both); saturated_area_km2; the provenance names both
// files and the rule; the panel's convergence.csv runs over the years; a satellite-year without
// coefficients fails its release with its name.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace nl::testsupport;
constexpr int kW = 12, kH = 6;  // 30″ cells; zones c0, c1, c2 are 4 columns each
constexpr double kCell = 1.0 / 120;

struct Sat {
  std::string name;
  int first, last;
  std::string version;
};
const std::vector<Sat> kSatellites{{"F10", 1992, 1994, "v4b"}, {"F12", 1994, 1999, "v4b"}, {"F14", 1997, 2003, "v4b"},
                                   {"F15", 2000, 2007, "v4c"}, {"F16", 2004, 2009, "v4c"}, {"F18", 2010, 2012, "v4d"}};

// Zone c0's rows for the older (a) and newer (b) satellite of a year: lit in both, in a only, in b
// only, in neither, not observed in a, not observed in either.
constexpr float kA[kH] = {20, 30, 0, 0, 255, 255};
constexpr float kB[kH] = {25, 0, 10, 0, 12, 255};

void write_composite(const std::string& path, bool older, int year) {
  std::vector<float> v(kW * kH);
  for (int r = 0; r < kH; ++r)
    for (int c = 0; c < kW; ++c) {
      float dn = static_cast<float>(1 + (r * 7 + c * 3 + year) % 50);  // c1: never 0 or 63
      if (c < 4) dn = older ? kA[r] : kB[r];
      if (c >= 8) dn = older ? 63 : 40;  // c2: saturated in the older satellite
      v[r * kW + c] = dn;
    }
  const double gt[6] = {100, kCell, 0, 30, 0, -kCell};
  write_geotiff(path, kW, kH, gt, v, std::nullopt, 16, "EPSG:4326", "DEFLATE", GDT_Byte);
}

std::string zones_geojson() {
  std::string s = "{\"type\":\"FeatureCollection\",\"features\":[";
  for (int z = 0; z < 3; ++z) {
    const double xa = 100 + 4 * z * kCell, xb = 100 + 4 * (z + 1) * kCell, ya = 30 - kH * kCell, yb = 30;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"c%d\",\"group\":\"g%d\"},\"geometry\":{\"type\":"
                  "\"Polygon\",\"coordinates\":[[[%.17g,%.17g],[%.17g,%.17g],[%.17g,%.17g],[%.17g,%.17g],[%.17g,%.17g]]]}}",
                  z ? "," : "", z, z, xa, ya, xb, ya, xb, yb, xa, yb, xa, ya);
    s += buf;
  }
  return s + "]}";
}

struct DmspFolder {
  std::string dir;
  explicit DmspFolder(const std::string& name, int last_year = 2012) : dir(temp_dir(name)) {
    fs::create_directories(dir + "/dmsp");
    for (int year = 1992; year <= last_year; ++year) {
      std::vector<const Sat*> flying;
      for (const Sat& s : kSatellites)
        if (year >= s.first && year <= s.last) flying.push_back(&s);
      for (size_t k = 0; k < flying.size(); ++k)
        write_composite(dir + "/dmsp/" + flying[k]->name + std::to_string(year) + "." + flying[k]->version +
                            "_web.stable_lights.avg_vis.tif",
                        k == 0, year);
      // NOAA's other rasters beside the stable lights are not releases.
      if (year == 1999) write_composite(dir + "/dmsp/F121999.v4b_web.cf_cvg.tif", true, year);
    }
    write_text(dir + "/cells.geojson", zones_geojson());
    write_text(dir + "/regions.csv", "key,group\ng0,West\ng1,Central\ng2,East\n");
  }
  std::string config(const std::string& extra_preprocess, const std::string& extra = "") const {
    const std::string path = dir + "/dmsp.yaml";
    write_text(path, "releases:\n"
                     "  files: dmsp/F*.tif\n"
                     "  product: dmsp-ols\n"
                     "  units: DN\n" + extra +
                     "preprocess:\n"
                     "  intercalibration: elvidge2014\n" + extra_preprocess +
                     "zones:\n"
                     "  cells: {path: cells.geojson, id_field: id, fields: [group]}\n"
                     "levels:\n"
                     "  - {name: cell, zones: cells}\n"
                     "  - {name: column, from: cell, key: group}\n"
                     "  - {name: region, from: column, key: id, lookup: regions.csv}\n"
                     "stats: [count, nodata_count, valid_area_km2, sum, mean, mean_area]\n"
                     "gaps: {level: cell, region_level: region, reference: East}\n"
                     "convergence: {levels: [cell], region_dummies: false}\n"
                     "output: {directory: out, maps: false}\n"
                     "threads: 2\n");
    return path;
  }
};

struct Table {
  std::vector<std::vector<std::string>> lines;
  size_t col(const std::string& name) const {
    const auto it = std::find(lines[0].begin(), lines[0].end(), name);
    REQUIRE_MESSAGE(it != lines[0].end(), "no column " << name);
    return static_cast<size_t>(it - lines[0].begin());
  }
  const std::vector<std::string>& row(const std::string& code) const {
    for (size_t i = 1; i < lines.size(); ++i)
      if (lines[i][1] == code) return lines[i];
    FAIL("no row " << code);
    return lines[0];
  }
  double num(const std::string& code, const std::string& column) const { return std::stod(row(code)[col(column)]); }
};

// The published polynomial by hand, with the documented conventions (255 no data, DN 0 stays 0,
// clipped to [0, 63]).
double by_hand(double dn, double c0, double c1, double c2) {
  if (dn == 255) return std::numeric_limits<double>::quiet_NaN();
  if (dn == 0) return 0;
  return std::clamp(c0 + c1 * dn + c2 * dn * dn, 0.0, 63.0);
}

}  // namespace

TEST_CASE("dmsp: raw composites 1992-2012 give one release per year, combined and calibrated as documented") {
  DmspFolder f("dmsp-run");
  const auto r = nightlights("run '" + f.config("") + "'");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  // 21 years, 1992 to 2012: one release each, whether one or two satellites flew.
  size_t releases = 0;
  for (const auto& e : fs::directory_iterator(f.dir + "/out/releases")) releases += e.is_directory() ? 1 : 0;
  CHECK(releases == 21);
  CHECK(fs::exists(f.dir + "/out/releases/1992/cell.csv"));
  CHECK(fs::exists(f.dir + "/out/releases/2012/cell.csv"));

  // 2000: F14 (older) and F15, with Elvidge et al. 2014's F142000 (1.0988, 1.3155, −0.0053) and
  // F152000 (0.1254, 1.0452, −0.0010). Zone c0, 4 cells per row, mean where both are lit.
  const Table t{csv_lines(f.dir + "/out/releases/2000/cell.csv")};
  double expected = 0;
  int valid = 0;
  for (int row = 0; row < kH; ++row) {
    const double a = by_hand(kA[row], 1.0988, 1.3155, -0.0053), b = by_hand(kB[row], 0.1254, 1.0452, -0.0010);
    double v;
    if (std::isnan(a) && std::isnan(b)) continue;  // not observed by either: no data
    if (std::isnan(a)) v = b;
    else if (std::isnan(b)) v = a;
    else if (a > 0 && b > 0) v = (a + b) / 2;
    else v = a > 0 ? a : b;  // the lit one, or 0 where both are 0
    expected += 4 * v;
    valid += 4;
  }
  CHECK(t.num("c0", "count") == doctest::Approx(valid));
  CHECK(t.num("c0", "nodata_count") == doctest::Approx(4));  // the row neither satellite observed
  CHECK(t.num("c0", "sum") == doctest::Approx(expected).epsilon(1e-12));
  // c2 is DN 63 in F14 everywhere: its saturated area is its whole valid area; c1 never saturates.
  CHECK(t.num("c2", "saturated_area_km2") == doctest::Approx(t.num("c2", "valid_area_km2")).epsilon(1e-12));
  CHECK(t.num("c1", "saturated_area_km2") == 0);
  CHECK(t.num("c2", "valid_area_km2") > 0);

  // The provenance names both files and the rule.
  const std::string prov = read_file(f.dir + "/out/releases/2000/provenance.json");
  CHECK(prov.find("F142000.v4b_web.stable_lights.avg_vis.tif") != std::string::npos);
  CHECK(prov.find("F152000.v4c_web.stable_lights.avg_vis.tif") != std::string::npos);
  CHECK(prov.find("\"combine\": \"mean\"") != std::string::npos);
  CHECK(prov.find("\"intercalibration\": \"elvidge2014\"") != std::string::npos);

  // The panel's convergence table runs over the 21 years: one sigma row each.
  const auto conv = csv_lines(f.dir + "/out/panel/convergence.csv");
  REQUIRE(!conv.empty());
  const size_t kind = static_cast<size_t>(std::find(conv[0].begin(), conv[0].end(), "kind") - conv[0].begin());
  REQUIRE(kind < conv[0].size());
  size_t sigma = 0;
  for (size_t i = 1; i < conv.size(); ++i) sigma += conv[i][kind] == "sigma";
  CHECK(sigma == 21);

  // A second run finds nothing to do.
  const auto again = nightlights("run '" + f.config("") + "'");
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("0 release(s) processed, 21 unchanged") != std::string::npos);
}

TEST_CASE("dmsp: combine earlier takes the older satellite where it observed, the newer elsewhere") {
  DmspFolder f("dmsp-earlier", 2000);
  const auto r = nightlights("run '" + f.config("", "  combine: earlier\n") + "' --only 2000");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const Table t{csv_lines(f.dir + "/out/releases/2000/cell.csv")};
  double expected = 0;
  for (int row = 0; row < kH; ++row) {
    const double a = by_hand(kA[row], 1.0988, 1.3155, -0.0053), b = by_hand(kB[row], 0.1254, 1.0452, -0.0010);
    const double v = std::isnan(a) ? b : a;
    if (!std::isnan(v)) expected += 4 * v;
  }
  CHECK(t.num("c0", "sum") == doctest::Approx(expected).epsilon(1e-12));
  CHECK(read_file(f.dir + "/out/releases/2000/provenance.json").find("\"combine\": \"earlier\"") != std::string::npos);
}

TEST_CASE("dmsp: a satellite-year without coefficients fails its release, naming it; a user table supplies it") {
  DmspFolder f("dmsp-2013", 2012);
  write_composite(f.dir + "/dmsp/F182013.v4c_web.stable_lights.avg_vis.tif", true, 2013);
  const auto r = nightlights("run '" + f.config("") + "' --only 2013");
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("F182013") != std::string::npos);
  CHECK(!fs::exists(f.dir + "/out/releases/2013/cell.csv"));
  // A user's table in the same shape as configs/dmsp-intercalibration.yaml.
  write_text(f.dir + "/mine.yaml", "sets:\n  mine:\n    reference: F121999\n    rows:\n      F121999: [0, 1, 0]\n"
                                   "      F182013: [0, 1, 0]\n");
  std::string cfg = read_file(f.config(""));
  cfg.replace(cfg.find("elvidge2014"), 11, "mine.yaml");
  write_text(f.dir + "/dmsp.yaml", cfg);
  const auto ok = nightlights("run '" + f.dir + "/dmsp.yaml' --only 2013");
  CHECK_MESSAGE(ok.exit_code == 0, ok.output);
  CHECK(fs::exists(f.dir + "/out/releases/2013/cell.csv"));
}
