// EOG's monthly tiles (issue 12): tile names and the six-tile lattice, a release's GeoTIFF tiles
// read as one VRT that matches what gdalbuildvrt makes of the same files, a missing tile that
// leaves the grid alone, files off the lattice refused, and read errors naming the tile file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/eog_tiles.hpp"
#include "pipeline/io/raster_source.hpp"
#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {

// Synthetic tiles of 0.5° cells: 240 x 150 for a northern tile (120° x 75°). Like EOG's 15"
// grid, cell corners sit half a cell west and north of the tile's nominal corner.
constexpr double kCell = 0.5;
constexpr int kWidth = 240, kHeight = 150;

// Stored value of tile column h at (row, col): distinct per tile so a misplaced tile shows;
// some negative, as monthly radiance can be.
float stored(int h, int r, int c) { return static_cast<float>(((r * 31 + c * 17 + h * 1009) % 997) * 0.37 - 3.0); }

// Cloud-free observation counts 0-5 (EOG's cf_cvg): min_count 2 drops a third of the cells.
float stored_count(int h, int r, int c) { return static_cast<float>((r * 7 + c * 3 + h) % 6); }

std::string write_tile(const std::string& path, int h, double shift_cells = -0.5, bool counts = false) {
  const LonLatBox b = eog_tile_bounds({h, 0, TileLattice::eog});
  const double gt[6] = {b.west + shift_cells * kCell, kCell, 0, b.north + 0.5 * kCell, 0, -kCell};
  std::vector<float> values(static_cast<size_t>(kWidth) * kHeight);
  for (int r = 0; r < kHeight; ++r)
    for (int c = 0; c < kWidth; ++c)
      values[static_cast<size_t>(r) * kWidth + c] = counts ? stored_count(h, r, c) : stored(h, r, c);
  write_geotiff(path, kWidth, kHeight, gt, values, std::nullopt, 32, "EPSG:4326", "DEFLATE",
                counts ? GDT_UInt16 : GDT_Float32);
  return path;
}

std::string eog_name(const std::string& month, const std::string& tile, const std::string& kind) {
  return "SVDNB_npp_2023" + month + "01-2023" + month + "30_" + tile + "_vcmslcfg_v10_c202304101100." + kind + ".tif";
}

// One file of GDAL's mosaic (gdalbuildvrt, then gdal_translate) of `parts`.
void gdal_mosaic(const std::vector<std::string>& parts, const std::string& vrt, const std::string& out) {
  std::vector<const char*> names;
  for (const auto& p : parts) names.push_back(p.c_str());
  GDALDatasetH v = GDALBuildVRT(vrt.c_str(), static_cast<int>(names.size()), nullptr, names.data(), nullptr, nullptr);
  REQUIRE(v);
  GDALClose(v);
  translate(vrt, out, {"-co", "TILED=YES", "-co", "COMPRESS=DEFLATE"});
}

std::string run_config(const std::string& files, const std::string& pattern, const std::string& out) {
  return "releases:\n  files: " + files + "\n  pattern: \"" + pattern + "\"\n  id: \"{year}-{month}\"\n"
         "  units: nW/cm2/sr\n  quality:\n    replace: [avg_rade9h, cf_cvg]\n    min_count: 2\n"
         "zones:\n  zone: {path: zones.geojson, id_field: id}\nlevels:\n  - {name: zone, zones: zone}\n"
         "stats: [count, nodata_count, valid_area_km2, nodata_area_km2, valid_fraction, sum, mean, sum_area, "
         "mean_area, min, max, stdev]\noutput:\n  directory: " + out + "\n  maps: false\n";
}

// A column's number in a zone's row of a release table, by its header.
double column(const std::string& csv, const std::string& zone, const std::string& name) {
  const auto lines = csv_lines(csv);
  REQUIRE_MESSAGE(!lines.empty(), csv, " is missing or empty");
  const auto at = std::find(lines[0].begin(), lines[0].end(), name) - lines[0].begin();
  REQUIRE(static_cast<size_t>(at) < lines[0].size());
  return std::stod(rows_by_zone(csv).at(zone).at(static_cast<size_t>(at)));
}

std::vector<float> read_all(const std::string& path, int& width, int& height, double gt[6]) {
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
  REQUIRE(ds);
  width = ds->GetRasterXSize();
  height = ds->GetRasterYSize();
  REQUIRE(ds->GetGeoTransform(gt) == CE_None);
  std::vector<float> v(static_cast<size_t>(width) * height);
  REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, width, height, v.data(), width, height, GDT_Float32, 0, 0,
                                         nullptr) == CE_None);
  GDALClose(ds);
  return v;
}

const TileId k060W{1, 0, TileLattice::eog}, k060E{2, 0, TileLattice::eog};

}  // namespace

TEST_CASE("EOG tiles: the six names and boxes, and the tiles a box meets") {
  // DESIGN.md: 75N180W 180-60°W, 75N060W 60°W-60°E, 75N060E 60-180°E for 0-75°N; 00N… to 65°S.
  const char* names[] = {"75N180W", "75N060W", "75N060E", "00N180W", "00N060W", "00N060E"};
  for (int i = 0; i < 6; ++i) {
    const auto t = parse_eog_tile(names[i]);
    REQUIRE(t);
    CHECK(t->h == i % 3);
    CHECK(t->v == i / 3);
    CHECK(t->name() == names[i]);
    CHECK(parse_tile_id(names[i]) == t);  // the {tile} placeholder takes either lattice's ids
  }
  CHECK(!parse_eog_tile("75N000E"));
  CHECK(!parse_eog_tile("75N060"));
  const LonLatBox s = eog_tile_bounds(*parse_eog_tile("00N180W"));
  CHECK(s.west == -180);
  CHECK(s.east == -60);
  CHECK(s.north == 0);
  CHECK(s.south == -65);
  // Indonesia (95-141°E, 11°S-6°N) crosses the equator inside the 060E column: two tiles.
  const auto indonesia = eog_tiles_meeting(95, -11, 141, 6);
  REQUIRE(indonesia.size() == 2);
  CHECK(indonesia[0].name() == "75N060E");
  CHECK(indonesia[1].name() == "00N060E");
  // A box touching 60°E only at its edge does not need the eastern tile.
  CHECK(eog_tiles_meeting(50, 30, 60, 40).size() == 1);
}

TEST_CASE("EOG tiles: two tiles make the mosaic gdalbuildvrt makes and a missing tile keeps the grid") {
  configure_gdal();
  const std::string dir = temp_dir("eog-mosaic");
  const std::string west = write_tile(dir + "/SVDNB_npp_20230301-20230331_75N060W_vcmslcfg_v10_c1.avg_rade9h.tif", 1);
  const std::string east = write_tile(dir + "/SVDNB_npp_20230301-20230331_75N060E_vcmslcfg_v10_c1.avg_rade9h.tif", 2);

  // The reference: GDAL's own mosaic of the two files.
  const char* names[] = {west.c_str(), east.c_str()};
  GDALDatasetH vrt = GDALBuildVRT((dir + "/ref.vrt").c_str(), 2, nullptr, names, nullptr, nullptr);
  REQUIRE(vrt);
  GDALClose(vrt);
  int rw = 0, rh = 0;
  double rgt[6];
  const auto ref = read_all(dir + "/ref.vrt", rw, rh, rgt);
  CHECK(rw == 2 * kWidth);
  CHECK(rh == kHeight);

  // Listed east first: the mosaic does not depend on the order.
  TileMosaic mosaic;
  build_eog_mosaic({{k060E, east}, {k060W, west}}, {k060W, k060E}, 1, "test-two", mosaic);
  CHECK(mosaic.missing.empty());
  int w = 0, h = 0;
  double gt[6];
  const auto ours = read_all(mosaic.radiance_vrt, w, h, gt);
  CHECK(w == rw);
  CHECK(h == rh);
  for (int i = 0; i < 6; ++i) CHECK(gt[i] == rgt[i]);  // (-60.25, 0.5, 0, 75.25, 0, -0.5): exact in binary
  CHECK(gt[0] == -60.25);
  CHECK(ours == ref);  // every cell, bit for bit
  // Each file's cells are recorded where they sit, for read errors.
  REQUIRE(mosaic.radiance_parts.size() == 2);
  CHECK(mosaic.radiance_parts[1].path == east);
  CHECK(mosaic.radiance_parts[1].col0 == kWidth);

  // The eastern tile missing: the same grid, its cells no data (NaN), never zeros.
  TileMosaic holed;
  build_eog_mosaic({{k060W, west}}, {k060W, k060E}, 1, "test-holed", holed);
  REQUIRE(holed.missing.size() == 1);
  CHECK(holed.missing[0].name() == "75N060E");
  double hgt[6];
  const auto with_hole = read_all(holed.radiance_vrt, w, h, hgt);
  CHECK(w == rw);
  CHECK(h == rh);
  for (int i = 0; i < 6; ++i) CHECK(hgt[i] == rgt[i]);
  CHECK(with_hole[5] == ref[5]);                            // row 0, column 5: the western tile
  CHECK(std::isnan(with_hole[kWidth + 5]));                 // row 0, column 245: the missing tile
  CHECK(std::isnan(with_hole[(kHeight - 1) * 2 * kWidth + 2 * kWidth - 1]));
}

TEST_CASE("EOG tiles: a file off the lattice is refused and a damaged tile is named in the read error") {
  configure_gdal();
  const std::string dir = temp_dir("eog-errors");
  const std::string west = write_tile(dir + "/w_75N060W.tif", 1);
  // A quarter cell further east than the western tile's lattice: it would overlap its
  // neighbour's cells by a fraction, so it is refused, naming the file.
  const std::string shifted = write_tile(dir + "/e_75N060E.tif", 2, -0.25);
  try {
    TileMosaic m;
    build_eog_mosaic({{k060W, west}, {k060E, shifted}}, {k060W, k060E}, 1, "test-shifted", m);
    FAIL("a tile off the lattice was accepted");
  } catch (const UserError& e) {
    const std::string what = e.what();
    CHECK(what.rfind(shifted + ": ", 0) == 0);
    CHECK(what.find("is not tile 75N060E of the release's lattice") != std::string::npos);
  }

  // A tile whose block at (32, 32) is overwritten with garbage: the mosaic opens (the header is
  // intact), and reading names that tile's file and the block inside it, not the VRT.
  const std::string east = write_tile(dir + "/e2_75N060E.tif", 2);
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(east.c_str(), GA_ReadOnly));
  REQUIRE(ds);
  const char* offset = ds->GetRasterBand(1)->GetMetadataItem("BLOCK_OFFSET_1_1", "TIFF");
  REQUIRE(offset);
  const long at = std::atol(offset);
  GDALClose(ds);
  {
    std::fstream f(east, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(at);
    const std::string garbage(64, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  TileMosaic m;
  build_eog_mosaic({{k060W, west}, {k060E, east}}, {k060W, k060E}, 1, "test-damaged", m);
  RasterInfo info = inspect_raster(m.radiance_vrt, 1, "");
  info.parts = m.radiance_parts;
  RasterReader reader(info);
  try {
    reader.read(Window{0, 0, info.grid.height, info.grid.width});
    FAIL("a damaged tile read without error");
  } catch (const UserError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.rfind(east + ": read error in the block at row ", 0) == 0);
    CHECK(what.find("of this tile") != std::string::npos);
    CHECK(what.find("/vsimem/") == std::string::npos);
  }
}

TEST_CASE("EOG tiles: nightlights run on two tiles of one month gives the tables of GDAL's mosaic of them") {
  configure_gdal();
  const std::string dir = temp_dir("eog-run");
  fs::create_directories(dir + "/tiles");
  fs::create_directories(dir + "/ref");
  std::vector<std::string> radiance, counts;
  for (auto [h, tile] : {std::pair{1, "75N060W"}, std::pair{2, "75N060E"}}) {
    radiance.push_back(write_tile(dir + "/tiles/" + eog_name("03", tile, "avg_rade9h"), h));
    counts.push_back(write_tile(dir + "/tiles/" + eog_name("03", tile, "cf_cvg"), h, -0.5, true));
  }
  gdal_mosaic(radiance, dir + "/ref/r.vrt", dir + "/ref/mosaic_202303.avg_rade9h.tif");
  gdal_mosaic(counts, dir + "/ref/c.vrt", dir + "/ref/mosaic_202303.cf_cvg.tif");
  // A zone across the 60°E edge (about 300 cells on each side), one in each tile.
  write_text(dir + "/zones.geojson",
             geojson_polygons({{"cross", {{{51.13, 43.71}, {68.42, 44.05}, {67.91, 36.18}, {52.37, 35.92}}}},
                               {"west", {{{10.21, 50.33}, {14.87, 50.33}, {14.87, 47.05}, {10.21, 47.05}}}},
                               {"east", {{{110.4, 30.2}, {114.9, 30.7}, {113.8, 26.1}}}}}));
  const std::string tiled = "SVDNB_npp_{year}{month}01-*_{tile}_vcmslcfg_*.avg_rade9h.tif";
  write_text(dir + "/tiled.yaml", run_config("tiles/*.avg_rade9h.tif", tiled, "out"));
  write_text(dir + "/ref.yaml", run_config("ref/mosaic_*.avg_rade9h.tif", "mosaic_{year}{month}.avg_rade9h.tif", "out_ref"));
  const auto a = nightlights("run -q " + dir + "/tiled.yaml");
  REQUIRE_MESSAGE(a.exit_code == 0, a.output);
  const auto b = nightlights("run -q " + dir + "/ref.yaml");
  REQUIRE_MESSAGE(b.exit_code == 0, b.output);

  // Every statistic of every zone to 1e-12 relative: the same cells, the same counts.
  const std::string ours = dir + "/out/releases/2023-03/zone.csv", ref = dir + "/out_ref/releases/2023-03/zone.csv";
  const auto x = rows_by_zone(ours), y = rows_by_zone(ref);
  REQUIRE(x.size() == 3);
  for (const auto& [zone, row] : y) {
    INFO(zone);
    REQUIRE(x.at(zone).size() == row.size());
    for (size_t i = 0; i < row.size(); ++i) {
      char* end = nullptr;
      const double p = std::strtod(row[i].c_str(), &end);
      if (row[i].empty() || *end) {
        CHECK(x.at(zone)[i] == row[i]);
        continue;
      }
      const double q = std::stod(x.at(zone)[i]);
      CHECK_MESSAGE(std::abs(p - q) <= 1e-12 * std::max(std::abs(p), std::abs(q)), i, ": ", x.at(zone)[i], " vs ", row[i]);
    }
  }
  // The quality rule did something: a third of the cells have fewer than 2 observations.
  const double valid = column(ours, "cross", "valid_fraction");
  CHECK(valid > 0.5);
  CHECK(valid < 0.8);
  // Each tile's radiance and cf_cvg are inputs of the release.
  const std::string prov = read_file(dir + "/out/releases/2023-03/provenance.json");
  CHECK(prov.find("\"quality 75N060E\"") != std::string::npos);
  CHECK(prov.find("\"tile 75N060W\"") != std::string::npos);

  // April with the eastern tile missing: same output folder (so the same grid, or the panel's
  // check would fail the release), the hole listed, the eastern zone all no data, never zeros.
  fs::copy_file(radiance[0], dir + "/tiles/" + eog_name("04", "75N060W", "avg_rade9h"));
  fs::copy_file(counts[0], dir + "/tiles/" + eog_name("04", "75N060W", "cf_cvg"));
  const auto c = nightlights("run " + dir + "/tiled.yaml");
  REQUIRE_MESSAGE(c.exit_code == 0, c.output);
  CHECK(c.output.find("release 2023-04: 1 of 2 tiles missing (75N060E)") != std::string::npos);
  const std::string april = dir + "/out/releases/2023-04/zone.csv";
  CHECK(column(april, "east", "count") == 0);
  CHECK(column(april, "east", "valid_fraction") == 0);
  CHECK(column(april, "west", "sum") == column(ours, "west", "sum"));
  CHECK(column(april, "cross", "valid_fraction") < valid * 0.7);  // the eastern part (~half) is gone
  CHECK(read_file(dir + "/out/manifest.yaml").find("75N060E") != std::string::npos);
}
