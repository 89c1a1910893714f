// Bad input to `nightlights zonal`: a one-line error naming the file and the problem, a non-zero
// exit code, and no output file.
#include <doctest/doctest.h>

#include <algorithm>

#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

struct Fixture {
  std::string dir;
  std::string raster, zones, out;
  explicit Fixture(const std::string& name) : dir(temp_dir(name)) {
    raster = dir + "/r.tif";
    zones = dir + "/z.geojson";
    out = dir + "/out.csv";
    std::vector<float> v(64 * 64, 1.0f);
    const double gt[6] = {10, 0.01, 0, 20, 0, -0.01};
    write_geotiff(raster, 64, 64, gt, v, std::nullopt, 32);
    write_text(zones, geojson_polygons({{"a", {{{10.1, 19.9}, {10.3, 19.9}, {10.3, 19.7}}}},
                                        {"b", {{{10.2, 19.8}, {10.5, 19.8}, {10.5, 19.5}}}}}));
  }
  CommandResult zonal(const std::string& extra, const std::string& r, const std::string& z,
                      const std::string& field = "id") const {
    return nightlights("zonal -q -r '" + r + "' -p '" + z + "' -f " + field + " -o '" + out + "' " + extra);
  }
};

void expect_failure(const CommandResult& r, const std::string& out, const std::string& file,
                    const std::string& phrase) {
  INFO(r.output);
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("nightlights: error: ") != std::string::npos);
  CHECK(r.output.find(file) != std::string::npos);
  CHECK(r.output.find(phrase) != std::string::npos);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);  // one line
  CHECK_FALSE(fs::exists(out));
  // No temporary left behind either.
  for (const auto& e : fs::directory_iterator(fs::path(out).parent_path()))
    CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
}

}  // namespace

TEST_CASE("zonal errors: the fixture itself runs (control for the cases below)") {
  Fixture f("err-control");
  auto r = f.zonal("", f.raster, f.zones);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(f.out));
}

TEST_CASE("zonal errors: missing raster file") {
  Fixture f("err-missing-raster");
  expect_failure(f.zonal("", f.dir + "/nope.tif", f.zones), f.out, "nope.tif", "not found");
}

TEST_CASE("zonal errors: missing zone file") {
  Fixture f("err-missing-zones");
  expect_failure(f.zonal("", f.raster, f.dir + "/nope.gpkg"), f.out, "nope.gpkg", "not found");
}

TEST_CASE("zonal errors: a text file is not a raster") {
  Fixture f("err-not-raster");
  write_text(f.dir + "/notes.txt", "these are not pixels\n");
  expect_failure(f.zonal("", f.dir + "/notes.txt", f.zones), f.out, "notes.txt", "cannot open as a raster");
}

TEST_CASE("zonal errors: a raster is not a vector layer") {
  Fixture f("err-not-vector");
  expect_failure(f.zonal("", f.raster, f.raster), f.out, "r.tif", "cannot open as a vector layer");
}

TEST_CASE("zonal errors: missing id field lists the fields") {
  Fixture f("err-id-field");
  expect_failure(f.zonal("", f.raster, f.zones, "adcode"), f.out, "z.geojson", "no field 'adcode' (fields: id)");
}

TEST_CASE("zonal errors: duplicate ids are named") {
  Fixture f("err-dup");
  write_text(f.zones, geojson_polygons({{"a", {{{10.1, 19.9}, {10.3, 19.9}, {10.3, 19.7}}}},
                                        {"a", {{{10.2, 19.8}, {10.5, 19.8}, {10.5, 19.5}}}}}));
  expect_failure(f.zonal("", f.raster, f.zones), f.out, "z.geojson", "duplicate id 'a'");
}

TEST_CASE("zonal errors: raster without CRS unless --assume-crs") {
  Fixture f("err-raster-crs");
  std::vector<float> v(64 * 64, 1.0f);
  const double gt[6] = {10, 0.01, 0, 20, 0, -0.01};
  write_geotiff(f.dir + "/nocrs.tif", 64, 64, gt, v, std::nullopt, 32, "");
  expect_failure(f.zonal("", f.dir + "/nocrs.tif", f.zones), f.out, "nocrs.tif", "has no CRS");
  auto ok = f.zonal("--assume-crs EPSG:4326", f.dir + "/nocrs.tif", f.zones);
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("zonal errors: layer without CRS (the atlas TopoJSON) unless --assume-crs") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found at " << shared_data() << "; skipped");
    return;
  }
  Fixture f("err-layer-crs");
  const std::string topo = shared_data() + "/china-atlas/cn-atlas.json";
  const std::string dmsp = shared_data() + "/china-dmsp/china-dmsp-harmonized-2008-5arcmin.tif";
  expect_failure(f.zonal("-l provinces", dmsp, topo), f.out, "cn-atlas.json", "has no CRS");
  auto ok = f.zonal("-l provinces --assume-crs EPSG:4326", dmsp, topo);
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("repaired") != std::string::npos);  // the atlas has self-intersections
}

TEST_CASE("zonal errors: band out of range") {
  Fixture f("err-band");
  expect_failure(f.zonal("-b 3", f.raster, f.zones), f.out, "r.tif", "band 3 out of range");
}

TEST_CASE("zonal errors: truncated raster fails naming the block, never a smaller sum") {
  Fixture f("err-truncated");
  std::vector<float> v(256 * 256, 2.0f);
  const double gt[6] = {10, 0.01 / 4, 0, 20, 0, -0.01 / 4};
  const std::string path = f.dir + "/trunc.tif";
  write_geotiff(path, 256, 256, gt, v, std::nullopt, 64, "EPSG:4326", "NONE");
  fs::resize_file(path, fs::file_size(path) / 2);
  expect_failure(f.zonal("", path, f.zones), f.out, "trunc.tif", "read error in the block at row");
}

TEST_CASE("zonal errors: output path under a regular file is unwritable") {
  Fixture f("err-output");
  write_text(f.dir + "/plain", "x");
  const std::string bad = f.dir + "/plain/out.csv";
  auto r = nightlights("zonal -q -r '" + f.raster + "' -p '" + f.zones + "' -f id -o '" + bad + "'");
  INFO(r.output);
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("plain/out.csv: cannot write output") != std::string::npos);
  CHECK_FALSE(fs::exists(bad));
}

TEST_CASE("zonal errors: points are not zones") {
  Fixture f("err-points");
  write_text(f.zones, R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"p"},"geometry":{"type":"Point","coordinates":[10.2,19.8]}}]})");
  expect_failure(f.zonal("", f.raster, f.zones), f.out, "z.geojson", "not a polygon");
}

TEST_CASE("zonal errors: unknown statistic is a usage error") {
  Fixture f("err-stat");
  auto r = f.zonal("-s count,median2", f.raster, f.zones);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("unknown statistic 'median2'") != std::string::npos);
  CHECK_FALSE(fs::exists(f.out));
}
