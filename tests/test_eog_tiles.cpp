// EOG's monthly tiles (issue 12): tile names and the six-tile lattice, a release's GeoTIFF tiles
// read as one VRT that matches what gdalbuildvrt makes of the same files, a missing tile that
// leaves the grid alone, files off the lattice refused, and read errors naming the tile file.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

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

std::string write_tile(const std::string& path, int h, double shift_cells = -0.5) {
  const LonLatBox b = eog_tile_bounds({h, 0, TileLattice::eog});
  const double gt[6] = {b.west + shift_cells * kCell, kCell, 0, b.north + 0.5 * kCell, 0, -kCell};
  std::vector<float> values(static_cast<size_t>(kWidth) * kHeight);
  for (int r = 0; r < kHeight; ++r)
    for (int c = 0; c < kWidth; ++c) values[static_cast<size_t>(r) * kWidth + c] = stored(h, r, c);
  write_geotiff(path, kWidth, kHeight, gt, values, std::nullopt, 32);
  return path;
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
