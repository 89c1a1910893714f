// The same pixels delivered in different containers must give the same bytes: a striped and a
// tiled GeoTIFF, a one-file VRT, a two-file VRT mosaic with a gap between its sources, a COG, a
// Float64 copy and a scaled UInt16 copy. Also: a fill value nobody declared as nodata is warned
// about once.
#include <doctest/doctest.h>

#include <cmath>

#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {

// 700 × 520 cells of 0.01° from (100°E, 40°N): wider and taller than two accumulation tiles,
// so zones cross tile and block edges. Values are multiples of 1/4 (exact in a UInt16 scaled
// by 0.25); columns 300–319 are no data (the gap the two-file VRT leaves), plus scattered cells.
constexpr int W = 700, H = 520;
constexpr double X0 = 100.0, Y0 = 40.0, D = 0.01;
constexpr float kFill = -3.4e38f;

bool is_nodata_cell(int r, int c) { return (c >= 300 && c < 320) || (r * 7 + c * 3) % 97 == 0; }
float cell_value(int r, int c) { return static_cast<float>(((r * 31 + c * 17) % 256) * 0.25); }

void build_vrt(const std::string& to, const std::vector<std::string>& sources) {
  std::vector<const char*> names;
  for (const auto& s : sources) names.push_back(s.c_str());
  GDALDatasetH out = GDALBuildVRT(to.c_str(), static_cast<int>(names.size()), nullptr, names.data(), nullptr, nullptr);
  REQUIRE(out);
  GDALClose(out);
}

// The reference: a striped Float32 GeoTIFF with nodata −3.4e38 (as the shared DMSP raster).
void write_striped(const std::string& path, bool declare_nodata) {
  configure_gdal();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = drv->Create(path.c_str(), W, H, 1, GDT_Float32, nullptr);
  double gt[6] = {X0, D, 0, Y0, 0, -D};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.SetFromUserInput("EPSG:4326");
  ds->SetSpatialRef(&srs);
  std::vector<float> v(static_cast<size_t>(W) * H);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) v[static_cast<size_t>(r) * W + c] = is_nodata_cell(r, c) ? kFill : cell_value(r, c);
  GDALRasterBand* band = ds->GetRasterBand(1);
  if (declare_nodata) band->SetNoDataValue(-3.4e38);
  REQUIRE(band->RasterIO(GF_Write, 0, 0, W, H, v.data(), W, H, GDT_Float32, 0, 0, nullptr) == CE_None);
  GDALClose(ds);
}

std::string zones_geojson() {
  // Off-grid corners: fractional coverage everywhere along the edges.
  return geojson_polygons({
      {"big", {{{100.333, 39.987}, {106.871, 39.987}, {106.871, 34.903}, {100.333, 34.903}}}},
      {"gap", {{{102.9, 39.0}, {103.1, 39.0}, {103.1, 38.5}, {102.9, 38.5}}}},  // columns 290–309
      {"edge", {{{102.5513, 37.5555}, {102.5613, 37.4444}, {102.5713, 37.5555}}}},
      {"corner", {{{106.5, 35.3}, {107.2, 35.3}, {107.2, 34.5}, {106.5, 34.5}}}},  // partly off the grid
  });
}

}  // namespace

TEST_CASE("input formats: striped and tiled GeoTIFF, one- and two-file VRT, COG, Float64 and scaled UInt16 give the same bytes") {
  const std::string dir = temp_dir("formats");
  write_text(dir + "/zones.geojson", zones_geojson());
  write_striped(dir + "/striped.tif", true);
  translate(dir + "/striped.tif", dir + "/tiled.tif", {"-co", "TILED=YES", "-co", "BLOCKXSIZE=96", "-co", "BLOCKYSIZE=80"});
  build_vrt(dir + "/one.vrt", {dir + "/striped.tif"});
  // Two sources that leave columns 300–319 uncovered: the VRT fills them with its nodata.
  translate(dir + "/striped.tif", dir + "/left.tif", {"-srcwin", "0", "0", "300", std::to_string(H)});
  translate(dir + "/striped.tif", dir + "/right.tif", {"-srcwin", "320", "0", std::to_string(W - 320), std::to_string(H)});
  build_vrt(dir + "/two.vrt", {dir + "/left.tif", dir + "/right.tif"});
  translate(dir + "/striped.tif", dir + "/cog.tif", {"-of", "COG", "-co", "BLOCKSIZE=512"});
  translate(dir + "/striped.tif", dir + "/f64.tif", {"-ot", "Float64"});
  // UInt16 holding value × 4 with scale 0.25 and nodata 65535: the same physical values exactly.
  translate(dir + "/striped.tif", dir + "/u16.tif",
            {"-ot", "UInt16", "-scale", "0", "4", "0", "16", "-a_scale", "0.25", "-a_nodata", "65535"});

  const std::string stats = "count,nodata_count,valid_area_km2,nodata_area_km2,sum,mean,sum_area,mean_area,lit_area_km2,min,max,stdev";
  auto zonal = [&](const std::string& raster, const std::string& out) {
    const auto r = nightlights("zonal -q --no-cache -r " + raster + " -p " + dir + "/zones.geojson -f id -s " + stats +
                               " -o " + dir + "/" + out);
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    CHECK(r.output.find("warning") == std::string::npos);
    return read_file(dir + "/" + out);
  };
  const std::string reference = zonal(dir + "/striped.tif", "striped.csv");
  for (const char* name : {"tiled.tif", "one.vrt", "two.vrt", "cog.tif", "f64.tif", "u16.tif"}) {
    INFO(name);
    CHECK(zonal(dir + "/" + name, std::string(name) + ".csv") == reference);
  }

  // The "gap" zone covers columns 290–309 whole and rows 100–149 whole (0.2° × 0.5° on cell
  // edges): 10 × 50 cells are in the no-data columns, the rest valid but for the scattered
  // no-data cells, which are counted by brute force here.
  const auto lines = csv_lines(dir + "/two.vrt.csv");
  double scattered = 0, valid = 0, sum = 0;
  for (int r = 100; r < 150; ++r)
    for (int c = 290; c < 310; ++c) {
      if (c >= 300) continue;
      if (is_nodata_cell(r, c)) scattered += 1;
      else valid += 1, sum += cell_value(r, c);
    }
  bool seen = false;
  for (const auto& row : lines)
    if (row[0] == "gap") {
      seen = true;
      CHECK(std::stod(row[1]) == doctest::Approx(valid).epsilon(1e-9));
      CHECK(std::stod(row[2]) == doctest::Approx(500 + scattered).epsilon(1e-9));
      CHECK(std::stod(row[5]) == doctest::Approx(sum).epsilon(1e-9));
    }
  CHECK(seen);
}

TEST_CASE("input formats: a fill value not declared as nodata is warned about once, naming the raster and --nodata") {
  const std::string dir = temp_dir("formats-fill");
  write_text(dir + "/zones.geojson", zones_geojson());
  write_striped(dir + "/undeclared.tif", false);
  const auto r = nightlights("zonal -r " + dir + "/undeclared.tif -p " + dir + "/zones.geojson -f id -s sum -o " + dir + "/o.csv");
  REQUIRE(r.exit_code == 0);
  // As many zones as have a fill value in their sum, by the table itself.
  int swamped = 0;
  for (const auto& row : csv_lines(dir + "/o.csv"))
    if (row[0] != "id" && std::stod(row[1]) < -1e30) ++swamped;
  CHECK(swamped >= 2);  // "big" and "gap" hold no-data columns
  const std::string phrase = "undeclared.tif: valid values as large as -3.4e+38 entered the sums of " +
                             std::to_string(swamped) + " zone(s)";
  CHECK_MESSAGE(r.output.find(phrase) != std::string::npos, r.output);
  CHECK(r.output.find("--nodata -3.4e+38") != std::string::npos);
  CHECK(r.output.find(phrase) == r.output.rfind(phrase));  // once, not per zone
  // Declared, the same value is no data and nothing is said.
  const auto ok = nightlights("zonal -r " + dir + "/undeclared.tif --nodata -3.4e38 -p " + dir +
                              "/zones.geojson -f id -s sum -o " + dir + "/o2.csv");
  REQUIRE(ok.exit_code == 0);
  CHECK(ok.output.find("valid values as large as") == std::string::npos);
}
