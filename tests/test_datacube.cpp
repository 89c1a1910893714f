// Datacubes whose bands are releases, on the real Mumbai monthly VIIRS cube (131 bands, 130
// months: bands 8 and 9 are both November 2012) with its cloud-free counts as band-matched
// quality: 130 releases, the duplicate warned once, district sums equal to single-band
// `zonal --quality` runs, a second run doing nothing, and a cube rewritten with one more band
// redoing that band only. Also the CF time units by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/io/datacube.hpp"
#include "test_support.hpp"

namespace {

using namespace nl::testsupport;

std::string mumbai() { return shared_data() + "/viirs-monthly-mumbai"; }
bool have_mumbai() { return fs::exists(mumbai() + "/mumbai_radiance.nc"); }

std::string cube_config(const std::string& dir, const std::string& cube) {
  write_text(dir + "/regions.csv", "key,group\n518,East\n519,West\n");
  const std::string path = dir + "/cube.yaml";
  write_text(path, "releases:\n"
                   "  files: " + cube + "\n"
                   "  band: each\n"
                   "  assume_crs: EPSG:4326\n"
                   "  units: nW/cm2/sr\n"
                   "  quality: {replace: [radiance, clouds], min_count: 1}\n"
                   "zones:\n"
                   "  districts: {path: " + mumbai() + "/mumbai_districts.shp, id_field: censuscode, fields: [DISTRICT]}\n"
                   "levels:\n"
                   "  - {name: district, zones: districts}\n"
                   "  - {name: region, from: district, key: id, lookup: regions.csv}\n"
                   "stats: [count, nodata_count, sum, mean_area]\n"
                   "gaps: {level: district, region_level: region, reference: East}\n"
                   "output: {directory: out, maps: false}\n"
                   "threads: 2\n");
  return path;
}

size_t count_of(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("datacube: CF time units give the band's date") {
  int y, m, d;
  // 40998 days after 1900-01-01 is 2012-04-01 (the Mumbai cube's band 1); 41212 is 2012-11-01.
  REQUIRE(nl::cf_time_to_date("days since 1900-01-01 00:00:00", 40998, y, m, d));
  CHECK((y == 2012 && m == 4 && d == 1));
  REQUIRE(nl::cf_time_to_date("days since 1900-01-01", 41212, y, m, d));
  CHECK((y == 2012 && m == 11 && d == 1));
  REQUIRE(nl::cf_time_to_date("hours since 2000-01-01", 48, y, m, d));  // two days
  CHECK((y == 2000 && m == 1 && d == 3));
  CHECK(!nl::cf_time_to_date("months since 2000-01-01", 1, y, m, d));
}

TEST_CASE("datacube: the Mumbai cube runs as 130 releases with band-matched cloud-free counts") {
  if (!have_mumbai()) return;
  const std::string dir = temp_dir("datacube-mumbai");
  const std::string cfg = cube_config(dir, mumbai() + "/mumbai_radiance.nc");
  const auto r = nightlights("run '" + cfg + "'");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("130 release(s) processed") != std::string::npos);
  // One warning for the duplicated November 2012 (bands 8 and 9), not one per run step.
  CHECK(count_of(r.output, "repeat an earlier band") == 1);
  CHECK(r.output.find("bands 8 and 9 (2012-11)") != std::string::npos);
  // The cube read once per window per band batch: its 130 bands in one pass, one window (the
  // whole 48 × 101 cube) decoded once for all of them (cube_batches.cpp's log line).
  CHECK(count_of(r.output, "measured in one pass") == 1);
  CHECK(r.output.find("130 band(s) measured in one pass (bands 1–131): 1 window(s) read for all of them") !=
        std::string::npos);
  size_t releases = 0;
  for (const auto& e : fs::directory_iterator(dir + "/out/releases")) releases += e.is_directory() ? 1 : 0;
  CHECK(releases == 130);

  // Band b's release against `zonal` on band b with band b of the counts as quality.
  for (const auto& [band, id] : std::vector<std::pair<int, std::string>>{{1, "2012-04"}, {10, "2012-12"}, {131, "2023-01"}}) {
    const std::string one = dir + "/band" + std::to_string(band) + ".csv";
    const auto z = nightlights("zonal -q -r '" + mumbai() + "/mumbai_radiance.nc' -b " + std::to_string(band) + " -p '" +
                               mumbai() + "/mumbai_districts.shp' -f censuscode --quality '" + mumbai() +
                               "/mumbai_clouds.nc' --min-count 1 --assume-crs EPSG:4326 -s count,sum -o '" + one + "'");
    REQUIRE_MESSAGE(z.exit_code == 0, z.output);
    const auto single = csv_lines(one);
    const auto run = csv_lines(dir + "/out/releases/" + id + "/district.csv");
    REQUIRE(single.size() == 3);
    REQUIRE(run.size() == 3);
    const auto column = [](const std::vector<std::string>& header, const std::string& name) {
      return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    for (size_t i = 1; i < 3; ++i)
      for (size_t j = 1; j < 3; ++j) {
        if (single[i][0] != run[j][1]) continue;
        const double a = std::stod(single[i][column(single[0], "sum")]), b = std::stod(run[j][column(run[0], "sum")]);
        INFO("band " << band << " district " << single[i][0]);
        CHECK(std::abs(a - b) <= 1e-12 * std::abs(a));
        CHECK(single[i][column(single[0], "count")] == run[j][column(run[0], "count")]);
      }
  }
  // A second run finds nothing to do.
  const auto again = nightlights("run '" + cfg + "'");
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("0 release(s) processed, 130 unchanged") != std::string::npos);
}

TEST_CASE("datacube: a cube rewritten with one more band redoes that band only") {
  if (!have_mumbai()) return;
  const std::string dir = temp_dir("datacube-append");
  const auto bands = [&](int n) {
    for (const char* kind : {"radiance", "clouds"}) {
      std::vector<std::string> args{"-of", "GTiff"};
      for (int b = 1; b <= n; ++b) {
        args.push_back("-b");
        args.push_back(std::to_string(b));
      }
      translate(mumbai() + "/mumbai_" + kind + ".nc", dir + "/mumbai_" + kind + ".tif", args);
    }
  };
  bands(12);  // 2012-04 … 2013-02 with the duplicate: 11 releases
  const std::string cfg = cube_config(dir, dir + "/mumbai_radiance.tif");
  const auto first = nightlights("run '" + cfg + "'");
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  CHECK(first.output.find("11 release(s) processed") != std::string::npos);
  bands(13);  // the file rewritten with March 2013 added
  const auto second = nightlights("run '" + cfg + "'");
  REQUIRE_MESSAGE(second.exit_code == 0, second.output);
  CHECK(second.output.find("1 release(s) processed, 11 unchanged") != std::string::npos);
  CHECK(fs::exists(dir + "/out/releases/2013-03/district.csv"));
}
