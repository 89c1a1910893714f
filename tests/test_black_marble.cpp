// NASA Black Marble HDF5 tiles (issue 12): the exact tile lattice, release names with {doy} and
// {tile}, file checks (HTML saved as .h5, truncated files, missing layers), and `nightlights run`
// on synthetic full-size tiles against a mosaic GDAL makes of the same tiles.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "black_marble_tiles.hpp"
#include "pipeline/io/black_marble.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/manifest.hpp"
#include "pipeline/io/releases.hpp"
#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {

const char* kLayer = "NearNadir_Composite_Snow_Free";
const std::string kQualityLayer = std::string(kLayer) + "_Quality";

// Stored radiance of tile (h, v) at (row, col): distinct per tile so a misplaced tile shows;
// one cell in 29 is fill (65535).
double stored_radiance(int h, int v, int r, int c) {
  if ((r * 13 + c * 7 + h) % 29 == 0) return 65535;
  return ((r * 31 + c * 17 + h * 101 + v * 7) % 5000);
}
// Quality flags 0, 1, 2 and fill 255, each on a quarter of the cells.
double stored_quality(int r, int c) {
  const int k = (r * 3 + c) % 4;
  return k == 3 ? 255 : k;
}

std::string tile_name(int h, int v, const std::string& collection = "002", const std::string& stamp = "2021125004436") {
  return "VNP46A3.A2020061." + TileId{h, v}.name() + "." + collection + "." + stamp + ".h5";
}

void write_tile(const std::string& path, int h, int v, double offset = 0.25) {
  BlackMarbleTile t;
  t.h = h;
  t.v = v;
  t.layers.push_back(radiance_layer(kLayer, [h, v](int r, int c) { return stored_radiance(h, v, r, c); }, offset));
  t.layers.push_back(flag_layer(kQualityLayer, stored_quality));
  write_black_marble_tile(path, t);
}

std::string subdataset(const std::string& path, const std::string& layer) {
  return "HDF5:\"" + path + "\"://HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data_Fields/" + layer;
}

// The reference: each tile's radiance given its h/v corners with gdal_translate -a_ullr, then
// gdalbuildvrt and gdal_translate into one UInt16 GeoTIFF with the layer's scale and offset.
void gdal_mosaic(const std::string& dir, const std::vector<std::pair<int, int>>& tiles, const std::string& out) {
  configure_gdal();
  std::vector<std::string> parts;
  for (auto [h, v] : tiles) {
    const double west = -180 + 10 * h, north = 90 - 10 * v;
    const std::string part = dir + "/ref_" + TileId{h, v}.name() + ".tif";
    translate(subdataset(dir + "/tiles/" + tile_name(h, v), kLayer), part,
              {"-a_srs", "EPSG:4326", "-a_ullr", std::to_string(west), std::to_string(north), std::to_string(west + 10),
               std::to_string(north - 10), "-a_nodata", "65535"});
    parts.push_back(part);
  }
  std::vector<const char*> names;
  for (const auto& p : parts) names.push_back(p.c_str());
  GDALDatasetH vrt = GDALBuildVRT((dir + "/ref.vrt").c_str(), static_cast<int>(names.size()), nullptr, names.data(),
                                  nullptr, nullptr);
  REQUIRE(vrt);
  GDALClose(vrt);
  translate(dir + "/ref.vrt", out, {"-a_scale", "0.1", "-a_offset", "0.25", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE"});
}

// A zone around the corner of h29v05, h30v05, h29v06 and h30v06 (120°E, 30°N), off the grid.
std::string corner_zones() {
  return geojson_polygons({
      {"corner", {{{119.8713, 30.1571}, {120.2291, 30.1987}, {120.1849, 29.8122}, {119.9033, 29.8517}}}},
      {"inside", {{{115.1237, 35.0011}, {115.3313, 35.0011}, {115.3313, 34.8521}, {115.1237, 34.8521}}}},
  });
}

std::string stats_line() {
  return "[count, nodata_count, valid_area_km2, nodata_area_km2, valid_fraction, sum, mean, sum_area, mean_area, min, max, stdev]";
}

std::string bm_config(const std::string& extra = "") {
  return "releases:\n  files: tiles/*.h5\n  pattern: \"VNP46A3.A{year}{doy}.{tile}.*.h5\"\n  product: black-marble\n"
         "  units: nW/cm2/sr\n" + extra +
         "zones:\n  zone: {path: zones.geojson, id_field: id}\nlevels:\n  - {name: zone, zones: zone}\n"
         "stats: " + stats_line() + "\noutput:\n  directory: out\n";
}

// A config writing to another output folder.
std::string with_output(std::string cfg, const std::string& out) {
  const std::string key = "directory: out\n";
  return cfg.replace(cfg.find(key), key.size(), "directory: " + out + "\n");
}

std::string tif_config() {
  return "releases:\n  files: mosaic_2020_03.tif\n  pattern: \"mosaic_{year}_{month}.tif\"\n  units: nW/cm2/sr\n"
         "zones:\n  zone: {path: zones.geojson, id_field: id}\nlevels:\n  - {name: zone, zones: zone}\n"
         "stats: " + stats_line() + "\noutput:\n  directory: out_tif\n";
}

void check_same_numbers(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    char* end = nullptr;
    const double x = std::strtod(a[i].c_str(), &end);
    if (a[i].empty() || *end) {
      CHECK(a[i] == b[i]);
      continue;
    }
    const double y = std::stod(b[i]);
    CHECK_MESSAGE(std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y)), i, ": ", a[i], " vs ", b[i]);
  }
}

}  // namespace

TEST_CASE("black marble: tile h29v05 has geotransform (110, 1/240, 0, 40, 0, -1/240) exactly") {
  const GridGeometry g = black_marble_tile_grid(*parse_tile_id("h29v05"));
  CHECK(g.origin_x == 110.0);
  CHECK(g.origin_y == 40.0);
  CHECK(g.cell_width == 1.0 / 240);
  CHECK(g.cell_height == -1.0 / 240);
  CHECK(g.width == 2400);
  CHECK(g.height == 2400);
  CHECK(!parse_tile_id("h36v05"));  // h runs 00-35
  CHECK(!parse_tile_id("h29v18"));  // v runs 00-17
  // China's extent 73-136°E, 18-54°N: h25 (70-80°E) to h31 (130-140°E), v03 (50-60°N) to v07 (10-20°N).
  const auto china = tiles_meeting(73, 18, 136, 54);
  CHECK(china.size() == 7 * 5);
  CHECK(china.front().name() == "h25v03");
  CHECK(china.back().name() == "h31v07");
}

TEST_CASE("black marble: release ids follow the product's period; {doy} gives the month in leap years") {
  // 2020 is a leap year: day 61 is 1 March (2021: 2 March).
  auto m = match_release_name("VNP46A3.A2020061.h29v05.002.2021125004436.h5", "VNP46A3.A{year}{doy}.{tile}.*.h5",
                              black_marble_id_format("VNP46A3"));
  REQUIRE(m);
  CHECK(m->id == "2020-03");
  CHECK(m->tile == "h29v05");
  CHECK(match_release_name("VNP46A2.A2021061.h29v05.001.x.h5", "VNP46A2.A{year}{doy}.{tile}.*.h5",
                           black_marble_id_format("VNP46A2"))->id == "2021-03-02");
  CHECK(match_release_name("VNP46A4.A2020001.h29v05.001.x.h5", "VNP46A4.A{year}{doy}.{tile}.*.h5",
                           black_marble_id_format("VNP46A4"))->id == "2020");
  CHECK(!match_release_name("VNP46A3.A2021366.h29v05.001.x.h5", "VNP46A3.A{year}{doy}.{tile}.*.h5"));  // no day 366
  CHECK(!match_release_name("VNP46A3.A2020061.h40v05.001.x.h5", "VNP46A3.A{year}{doy}.{tile}.*.h5"));  // no tile h40
  CHECK(black_marble_default_layer("VNP46A1") == "DNB_At_Sensor_Radiance_500m");
  CHECK(black_marble_default_layer("VJ146A2") == "Gap_Filled_DNB_BRDF-Corrected_NTL");
  CHECK(black_marble_default_quality_layer("VNP46A2", "x") == "Mandatory_Quality_Flag");
  CHECK(black_marble_default_quality_layer("VNP46A4", kLayer) == kQualityLayer);
}

TEST_CASE("black marble: an HTML page saved as .h5 and a truncated .h5 are named for what they are") {
  const std::string dir = temp_dir("bm-signature");
  write_text(dir + "/page.h5", "<!DOCTYPE html><html><body>Login required</body></html>");
  CHECK_THROWS_WITH_AS(check_hdf5_file(dir + "/page.h5"),
                       (dir + "/page.h5: not an HDF5 file (starts with \"<!DOCTYPE html>\") — a failed download?").c_str(),
                       UserError);
  write_tile(dir + "/whole.h5", 29, 5);
  CHECK_NOTHROW(check_hdf5_file(dir + "/whole.h5"));
  const std::string bytes = read_file(dir + "/whole.h5");
  write_text(dir + "/half.h5", bytes.substr(0, bytes.size() / 2));
  const std::string expected = dir + "/half.h5: truncated HDF5 file (" + std::to_string(bytes.size() / 2) + " of " +
                               std::to_string(bytes.size()) + " bytes) — an interrupted download? re-download it";
  CHECK_THROWS_WITH_AS(check_hdf5_file(dir + "/half.h5"), expected.c_str(), UserError);
  // A 512-byte user block before the superblock is allowed by the format.
  write_text(dir + "/userblock.h5", std::string(512, ' ') + bytes);
  CHECK_NOTHROW(check_hdf5_file(dir + "/userblock.h5"));
}

TEST_CASE("black marble: a zone across the corner of four tiles equals the same zone on GDAL's mosaic, any listing order, 1 and 2 threads") {
  const std::string dir = temp_dir("bm-corner");
  fs::create_directories(dir + "/tiles");
  const std::vector<std::pair<int, int>> tiles{{29, 5}, {30, 5}, {29, 6}, {30, 6}};
  for (auto [h, v] : tiles) write_tile(dir + "/tiles/" + tile_name(h, v), h, v);
  gdal_mosaic(dir, tiles, dir + "/mosaic_2020_03.tif");
  write_text(dir + "/zones.geojson", corner_zones());
  write_text(dir + "/bm.yaml", bm_config());
  write_text(dir + "/tif.yaml", tif_config());

  const auto a = nightlights("run -q " + dir + "/bm.yaml --threads 1");
  REQUIRE_MESSAGE(a.exit_code == 0, a.output);
  const auto b = nightlights("run -q " + dir + "/tif.yaml --threads 1");
  REQUIRE_MESSAGE(b.exit_code == 0, b.output);
  const auto bm = rows_by_zone(dir + "/out/releases/2020-03/zone.csv");
  const auto ref = rows_by_zone(dir + "/out_tif/releases/2020-03/zone.csv");
  REQUIRE(bm.size() == 2);
  for (const auto& [id, row] : ref) {
    INFO(id);
    check_same_numbers(bm.at(id), row);
  }
  // Not only close: the same pixels through the HDF5 tiles and through the GeoTIFF give the
  // same bytes (the engine's sums are per fixed accumulation tile, whatever the container).
  CHECK(read_file(dir + "/out/releases/2020-03/zone.csv") == read_file(dir + "/out_tif/releases/2020-03/zone.csv"));
  // The corner zone has valid cells in all four tiles: its count is well above one tile's share.
  CHECK(std::stod(bm.at("corner")[4]) > 1000);

  // Two threads, and the tiles listed in reverse order (one file each, as a list): same bytes.
  std::string listed = "  files:\n";
  for (auto it = tiles.rbegin(); it != tiles.rend(); ++it) listed += "    - tiles/" + tile_name(it->first, it->second) + "\n";
  std::string cfg = bm_config();
  cfg.replace(cfg.find("  files: tiles/*.h5\n"), std::string("  files: tiles/*.h5\n").size(), listed);
  write_text(dir + "/bm2.yaml", with_output(cfg, "out2"));
  const auto c = nightlights("run -q " + dir + "/bm2.yaml --threads 2");
  REQUIRE_MESSAGE(c.exit_code == 0, c.output);
  CHECK(read_file(dir + "/out2/releases/2020-03/zone.csv") == read_file(dir + "/out/releases/2020-03/zone.csv"));

  // The tool's own mosaic of the four tiles: geotransform (110, 1/240, 0, 40, 0, -1/240) exactly,
  // and the centre of cell (1234, 567) of h30v05 reads that cell's stored value.
  {
    std::vector<TileFile> files;
    for (auto [h, v] : tiles) files.push_back({{h, v}, dir + "/tiles/" + tile_name(h, v)});
    BlackMarbleMosaic mosaic;
    build_black_marble_mosaic(files, {{29, 5}, {30, 6}}, BlackMarbleConfig{}, "test-corner", mosaic);
    GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(mosaic.radiance_vrt.c_str(), GA_ReadOnly));
    REQUIRE(ds);
    double gt[6];
    REQUIRE(ds->GetGeoTransform(gt) == CE_None);
    CHECK(gt[0] == 110.0);
    CHECK(gt[1] == 1.0 / 240);
    CHECK(gt[2] == 0.0);
    CHECK(gt[3] == 40.0);
    CHECK(gt[4] == 0.0);
    CHECK(gt[5] == -1.0 / 240);
    CHECK(ds->GetRasterXSize() == 4800);
    const int r = 1234, c = 567;
    const double lon = 120 + (c + 0.5) / 240, lat = 40 - (r + 0.5) / 240;
    const int col = static_cast<int>(std::floor((lon - gt[0]) / gt[1])), row = static_cast<int>(std::floor((lat - gt[3]) / gt[5]));
    uint16_t value = 0;
    REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, col, row, 1, 1, &value, 1, 1, GDT_UInt16, 0, 0, nullptr) == CE_None);
    CHECK(value == stored_radiance(30, 5, r, c));
    CHECK(ds->GetRasterBand(1)->GetScale() == 0.1);
    CHECK(ds->GetRasterBand(1)->GetOffset() == 0.25);
    GDALClose(ds);
  }
  // A cell centre of h30v05 lands in the cell GDAL reports for that lon/lat on the mosaic.
  {
    GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen((dir + "/mosaic_2020_03.tif").c_str(), GA_ReadOnly));
    REQUIRE(ds);
    double gt[6];
    ds->GetGeoTransform(gt);
    const int r = 1234, c = 567;  // in tile h30v05
    const double lon = 120 + (c + 0.5) / 240, lat = 40 - (r + 0.5) / 240;
    const int col = static_cast<int>(std::floor((lon - gt[0]) / gt[1])), row = static_cast<int>(std::floor((lat - gt[3]) / gt[5]));
    CHECK(col == 2400 + c);
    CHECK(row == r);
    uint16_t value = 0;
    REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, col, row, 1, 1, &value, 1, 1, GDT_UInt16, 0, 0, nullptr) == CE_None);
    CHECK(value == stored_radiance(30, 5, r, c));
    GDALClose(ds);
  }
}

TEST_CASE("black marble: quality keep-lists give the brute-force counts; fill never enters a sum") {
  const std::string dir = temp_dir("bm-quality");
  fs::create_directories(dir + "/tiles");
  write_tile(dir + "/tiles/" + tile_name(29, 5), 29, 5);
  // Whole cells of h29v05: columns 480-599 (112-112.5°E), rows 1140-1199 (35.25-35°N).
  write_text(dir + "/zones.geojson",
             geojson_polygons({{"block", {{{112.0, 35.25}, {112.5, 35.25}, {112.5, 35.0}, {112.0, 35.0}}}}}));
  struct Case {
    std::string name, quality_yaml;
    std::vector<int> keep;  // empty: no quality layer
  };
  const std::vector<Case> cases{{"none", "", {}},
                                {"keep0", "  quality: {keep: [0]}\n", {0}},
                                {"keep01", "  quality: {keep: [0, 1]}\n", {0, 1}},
                                {"keep012", "  quality: {layer: " + kQualityLayer + ", keep: [0, 1, 2]}\n", {0, 1, 2}}};
  for (const auto& k : cases) {
    INFO(k.name);
    // Brute force over the block's 120 x 60 cells.
    double count = 0, sum = 0, max = -1;
    for (int r = 1140; r < 1200; ++r)
      for (int c = 480; c < 600; ++c) {
        const double x = stored_radiance(29, 5, r, c);
        const int q = static_cast<int>(stored_quality(r, c));
        if (x == 65535) continue;
        if (!k.keep.empty() && std::find(k.keep.begin(), k.keep.end(), q) == k.keep.end()) continue;
        count += 1;
        sum += 0.1 * x + 0.25;
        max = std::max(max, 0.1 * x + 0.25);
      }
    write_text(dir + "/" + k.name + ".yaml", with_output(bm_config(k.quality_yaml), "out_" + k.name));
    const auto r = nightlights("run -q " + dir + "/" + k.name + ".yaml");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    const auto row = rows_by_zone(dir + "/out_" + k.name + "/releases/2020-03/zone.csv").at("block");
    // release, code, n_units, included, count, nodata_count, valid_area, nodata_area, valid_fraction, sum, ...
    CHECK(std::stod(row[4]) == doctest::Approx(count).epsilon(1e-12));
    CHECK(std::stod(row[5]) == doctest::Approx(7200 - count).epsilon(1e-12));
    CHECK(std::stod(row[9]) == doctest::Approx(sum).epsilon(1e-12));
    CHECK(std::stod(row[14]) == doctest::Approx(max).epsilon(1e-12));
  }
}

TEST_CASE("black marble: a missing tile is listed, its cells are no data, the grid stays; 'fail' fails; its arrival redoes that release only") {
  const std::string dir = temp_dir("bm-missing");
  fs::create_directories(dir + "/tiles");
  const std::vector<std::pair<int, int>> all{{29, 5}, {30, 5}, {29, 6}, {30, 6}};
  // March lacks h30v06; April (day 092) has all four.
  for (auto [h, v] : all) {
    if (!(h == 30 && v == 6)) write_tile(dir + "/tiles/" + tile_name(h, v), h, v);
    std::string april = tile_name(h, v);
    april.replace(april.find("A2020061"), 8, "A2020092");
    write_tile(dir + "/tiles/" + april, h, v);
  }
  write_text(dir + "/zones.geojson", corner_zones());
  write_text(dir + "/bm.yaml", bm_config());
  const auto first = nightlights("run " + dir + "/bm.yaml");
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  CHECK_MESSAGE(first.output.find("release 2020-03: 1 of 4 tiles missing (h30v06)") != std::string::npos, first.output);
  const auto manifest = nl::load_manifest(dir + "/out/manifest.yaml");
  CHECK(manifest.releases.at("2020-03").missing_tiles == std::vector<std::string>{"h30v06"});
  CHECK(manifest.releases.at("2020-04").missing_tiles.empty());
  const auto prov = nlohmann::json::parse(read_file(dir + "/out/releases/2020-03/provenance.json"));
  CHECK(prov["tiles_missing"] == nlohmann::json::array({"h30v06"}));
  CHECK(prov["tiles_needed"] == 4);
  // The lattice spans the four tiles either way: 4800 x 4800 cells from (110°E, 40°N).
  CHECK(manifest.grid_values[4] == 4800);
  CHECK(manifest.grid_values[5] == 4800);
  CHECK(manifest.grid_values[0] == 110);
  const auto march = rows_by_zone(dir + "/out/releases/2020-03/zone.csv").at("corner");
  const auto april = rows_by_zone(dir + "/out/releases/2020-04/zone.csv").at("corner");
  // Same cells, same values (the tiles are the same), so the hole is exactly h30v06's share: the
  // counts differ, count + nodata_count (the zone's cells) does not, and valid_fraction drops.
  CHECK(std::stod(march[4]) < std::stod(april[4]) - 100);
  CHECK(std::stod(march[4]) + std::stod(march[5]) == doctest::Approx(std::stod(april[4]) + std::stod(april[5])).epsilon(1e-12));
  CHECK(std::stod(march[8]) < std::stod(april[8]) - 0.1);
  CHECK(std::stod(march[13]) > 0);  // min over valid cells: nothing zero-filled (radiance >= 0.25)

  // missing_tiles: fail → that release fails, exit code 1.
  write_text(dir + "/fail.yaml", with_output(bm_config("  missing_tiles: fail\n"), "out_fail"));
  const auto failed = nightlights("run " + dir + "/fail.yaml");
  CHECK(failed.exit_code == 1);
  CHECK(failed.output.find("release 2020-03: 1 of 4 tiles missing (h30v06) and releases.missing_tiles is 'fail'") != std::string::npos);
  CHECK(nl::load_manifest(dir + "/out_fail/manifest.yaml").releases.at("2020-03").state == "failed");
  CHECK(nl::load_manifest(dir + "/out_fail/manifest.yaml").releases.at("2020-04").state == "done");

  // The tile arrives: the next run redoes March only, now without the hole.
  write_tile(dir + "/tiles/" + tile_name(30, 6), 30, 6);
  const auto again = nightlights("run " + dir + "/bm.yaml");
  REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  CHECK_MESSAGE(again.output.find("1 release(s) processed, 1 unchanged") != std::string::npos, again.output);
  CHECK(again.output.find("release 2020-03 (1/2, changed)") != std::string::npos);
  CHECK(nl::load_manifest(dir + "/out/manifest.yaml").releases.at("2020-03").missing_tiles.empty());
  const auto redone = rows_by_zone(dir + "/out/releases/2020-03/zone.csv").at("corner");
  for (size_t i = 2; i < redone.size(); ++i) CHECK(redone[i] == april[i]);
}

TEST_CASE("black marble: HTML saved as .h5, a truncated .h5 and an .h5 without the layer fail only their release") {
  const std::string dir = temp_dir("bm-bad");
  fs::create_directories(dir + "/tiles");
  write_text(dir + "/zones.geojson",
             geojson_polygons({{"block", {{{112.0, 35.25}, {112.5, 35.25}, {112.5, 35.0}, {112.0, 35.0}}}}}));
  auto named = [&](const char* doy) {
    std::string n = tile_name(29, 5);
    n.replace(n.find("A2020061"), 8, std::string("A2020") + doy);
    return dir + "/tiles/" + n;
  };
  write_text(named("061"), "<!DOCTYPE html>\n<html><head><title>Earthdata Login</title></head></html>\n");
  write_tile(named("092"), 29, 5);
  const std::string whole = read_file(named("092"));
  write_text(named("092"), whole.substr(0, whole.size() - 1000));
  BlackMarbleTile no_layer;
  no_layer.layers.push_back(flag_layer(kQualityLayer, stored_quality));
  write_black_marble_tile(named("122"), no_layer);
  write_tile(named("153"), 29, 5);
  write_text(dir + "/bm.yaml", bm_config());
  const auto r = nightlights("run " + dir + "/bm.yaml");
  CHECK(r.exit_code == 1);
  INFO(r.output);
  CHECK(r.output.find(named("061") + ": not an HDF5 file (starts with \"<!DOCTYPE html>\") — a failed download?") != std::string::npos);
  CHECK(r.output.find(named("092") + ": truncated HDF5 file (") != std::string::npos);
  CHECK(r.output.find(named("122") + ": no layer '" + kLayer + "'") != std::string::npos);
  const auto m = nl::load_manifest(dir + "/out/manifest.yaml");
  for (const char* id : {"2020-03", "2020-04", "2020-05"}) CHECK(m.releases.at(id).state == "failed");
  CHECK(m.releases.at("2020-06").state == "done");
  CHECK(fs::exists(dir + "/out/releases/2020-06/zone.csv"));
}

TEST_CASE("black marble: two files of one tile and date are an error naming both, unless releases.collection picks one") {
  const std::string dir = temp_dir("bm-collections");
  fs::create_directories(dir + "/tiles");
  write_tile(dir + "/tiles/" + tile_name(29, 5, "001", "2020100000000"), 29, 5);
  write_tile(dir + "/tiles/" + tile_name(29, 5, "002"), 29, 5);
  write_text(dir + "/zones.geojson",
             geojson_polygons({{"block", {{{112.0, 35.25}, {112.5, 35.25}, {112.5, 35.0}, {112.0, 35.0}}}}}));
  write_text(dir + "/bm.yaml", bm_config());
  const auto r = nightlights("run " + dir + "/bm.yaml");
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(r.output.find("release 2020-03 tile h29v05 matches two files: " + dir + "/tiles/" +
                              tile_name(29, 5, "001", "2020100000000") + " and " + dir + "/tiles/" + tile_name(29, 5)) !=
                    std::string::npos,
                r.output);
  write_text(dir + "/c2.yaml", bm_config("  collection: \"002\"\n"));
  const auto ok = nightlights("run -q " + dir + "/c2.yaml");
  CHECK_MESSAGE(ok.exit_code == 0, ok.output);
}

TEST_CASE("black marble: the China presets pass --dry-run on files named like the real ones") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found; skipped");
    return;
  }
  const std::string configs = std::string(NIGHTLIGHTS_SOURCE_DIR) + "/configs/";
  const std::string dir = temp_dir("bm-presets");
  // Stand-ins (a dry run opens no raster): three months of three tiles, a collection-1 copy
  // that releases.collection: "002" leaves out, and two years of the annual product.
  for (const char* doy : {"001", "032", "060"})
    for (const char* tile : {"h29v05", "h30v05", "h31v05"})
      write_text(dir + "/VNP46A3.A2022" + doy + "." + tile + ".002.2022076204953.h5", "stand-in\n");
  write_text(dir + "/VNP46A3.A2022001.h29v05.001.2022050000000.h5", "stand-in\n");
  for (const char* year : {"2020", "2021"})
    for (const char* tile : {"h29v05", "h30v05"})
      write_text(dir + "/VNP46A4.A" + std::string(year) + "001." + tile + ".002.2022090120315.h5", "stand-in\n");
  const auto m = nightlights("run " + configs + "china-black-marble-monthly.yaml --dry-run --releases '" + dir + "/VNP46A3.*.h5'");
  INFO(m.output);
  CHECK(m.exit_code == 0);
  // Day 032 is 1 February, day 060 is 1 March (2022 is not a leap year).
  for (const char* id : {"2022-01", "2022-02", "2022-03"})
    CHECK(m.output.find(std::string(id) + "\tnew\t3 tile(s): h29v05 h30v05 h31v05") != std::string::npos);
  CHECK(m.output.find("3 release(s), 3 would be processed") != std::string::npos);
  const auto a = nightlights("run " + configs + "china-black-marble-annual.yaml --dry-run --releases '" + dir + "/VNP46A4.*.h5'");
  INFO(a.output);
  CHECK(a.exit_code == 0);
  CHECK(a.output.find("2020\tnew\t2 tile(s): h29v05 h30v05") != std::string::npos);
  CHECK(a.output.find("2021\tnew\t2 tile(s): h29v05 h30v05") != std::string::npos);
  CHECK_FALSE(fs::exists(configs + "../out/china-black-marble-monthly/manifest.yaml"));  // nothing written
}

TEST_CASE("black marble: a collection 1 tile (VNP_Grid_DNB group, A2 layers) and tile attributes that disagree with the name") {
  const std::string dir = temp_dir("bm-c1");
  fs::create_directories(dir + "/tiles");
  write_text(dir + "/zones.geojson",
             geojson_polygons({{"block", {{{112.0, 35.25}, {112.5, 35.25}, {112.5, 35.0}, {112.0, 35.0}}}}}));
  // Daily VNP46A2, collection 1: Gap_Filled_DNB_BRDF-Corrected_NTL with Mandatory_Quality_Flag.
  BlackMarbleTile t;
  t.group = kGroupCollection1;
  t.layers.push_back(radiance_layer("Gap_Filled_DNB_BRDF-Corrected_NTL", [](int r, int c) { return stored_radiance(29, 5, r, c); }, 0));
  t.layers.push_back(flag_layer("Mandatory_Quality_Flag", stored_quality));
  write_black_marble_tile(dir + "/tiles/VNP46A2.A2020061.h29v05.001.2020100000000.h5", t);
  // The same tile named h29v05 but saying it is h30v05 inside.
  t.h_attr = "30";
  write_black_marble_tile(dir + "/tiles/VNP46A2.A2020062.h29v05.001.2020100000000.h5", t);
  const std::string cfg =
      "releases:\n  files: tiles/*.h5\n  pattern: \"VNP46A2.A{year}{doy}.{tile}.*.h5\"\n  product: black-marble\n"
      "  units: nW/cm2/sr\n  quality: {keep: [0]}\n"
      "zones:\n  zone: {path: zones.geojson, id_field: id}\nlevels:\n  - {name: zone, zones: zone}\n"
      "stats: " + stats_line() + "\noutput:\n  directory: out\n";
  write_text(dir + "/a2.yaml", cfg);
  const auto r = nightlights("run " + dir + "/a2.yaml");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("VNP46A2.A2020062.h29v05.001.2020100000000.h5: the name says tile h29v05 but the file's "
                      "HorizontalTileNumber is 30") != std::string::npos);
  // The daily release id, and the brute-force count of flag-0 cells with radiance.
  double count = 0, sum = 0;
  for (int row = 1140; row < 1200; ++row)
    for (int c = 480; c < 600; ++c)
      if (stored_radiance(29, 5, row, c) != 65535 && stored_quality(row, c) == 0) {
        count += 1;
        sum += 0.1 * stored_radiance(29, 5, row, c);
      }
  const auto zone = rows_by_zone(dir + "/out/releases/2020-03-01/zone.csv").at("block");
  CHECK(std::stod(zone[4]) == doctest::Approx(count).epsilon(1e-12));
  CHECK(std::stod(zone[9]) == doctest::Approx(sum).epsilon(1e-12));
  CHECK(nl::load_manifest(dir + "/out/manifest.yaml").releases.at("2020-03-02").state == "failed");
}

TEST_CASE("black marble: negative radiance after scale and offset is counted in provenance.json") {
  const std::string dir = temp_dir("bm-negative");
  fs::create_directories(dir + "/tiles");
  // offset -0.5: stored values below 5 give negative radiance.
  write_tile(dir + "/tiles/" + tile_name(29, 5), 29, 5, -0.5);
  // The whole tile, so every cell is read: the count is over the 2400 x 2400 cells.
  write_text(dir + "/zones.geojson", geojson_polygons({{"tile", {{{110.0, 40.0}, {120.0, 40.0}, {120.0, 30.0}, {110.0, 30.0}}}}}));
  write_text(dir + "/bm.yaml", bm_config());
  const auto r = nightlights("run -q " + dir + "/bm.yaml");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  int64_t negative = 0;
  for (int row = 0; row < 2400; ++row)
    for (int c = 0; c < 2400; ++c) {
      const double x = stored_radiance(29, 5, row, c);
      if (x != 65535 && 0.1 * x - 0.5 < 0) ++negative;
    }
  CHECK(negative > 0);
  const std::string prov = read_file(dir + "/out/releases/2020-03/provenance.json");
  const auto json = nlohmann::json::parse(prov);
  CHECK_MESSAGE(json["negative_cells"] == negative, prov);
  CHECK(json["tiles_needed"] == 1);
}
