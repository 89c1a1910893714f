// A datacube's bands measured in one pass (issue 13): run_zonal_bands over a synthetic 6-band
// cube with a 6-band quality cube reads each window once for all six bands (the counter equals
// one band's windows, not six times as many) and gives each band the bits run_zonal gives it
// alone with its quality band, at 1 and 2 threads; the batch size follows its memory rule; on
// the real Mumbai cube all 131 bands in one pass equal 131 single-band passes bit for bit. Then
// `nightlights run` on the synthetic cube (one pass, sums as `zonal --quality` prints them), a
// read error naming band and block, and under mpirun -n 2 the batches on ranks as whole units.
#include <doctest/doctest.h>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/engine/band_batch.hpp"
#include "pipeline/engine/cluster.hpp"
#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/engine/zonal_engine.hpp"
#include "test_support.hpp"

namespace {

using namespace nl::testsupport;

constexpr int kWidth = 600, kHeight = 520, kBands = 6;
constexpr double kGeo[6] = {10.0, 0.01, 0, 50.0, 0, -0.01};

// A tiled, compressed GTiff of `bands` bands; band b's cell (r, c) is value(b, r, c).
template <typename Value>
void write_cube(const std::string& path, GDALDataType type, std::optional<double> nodata, Value&& value,
                const char* compress = "COMPRESS=DEFLATE", const char* interleave = "INTERLEAVE=PIXEL") {
  nl::configure_gdal();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* options[] = {"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", compress, interleave, nullptr};
  GDALDataset* ds = drv->Create(path.c_str(), kWidth, kHeight, kBands, type, const_cast<char**>(options));
  double g[6];
  std::copy(kGeo, kGeo + 6, g);
  ds->SetGeoTransform(g);
  OGRSpatialReference srs;
  srs.SetFromUserInput("EPSG:4326");
  ds->SetSpatialRef(&srs);
  std::vector<double> cells(static_cast<size_t>(kWidth * kHeight));
  for (int b = 1; b <= kBands; ++b) {
    for (int r = 0; r < kHeight; ++r)
      for (int c = 0; c < kWidth; ++c) cells[static_cast<size_t>(r * kWidth + c)] = value(b, r, c);
    GDALRasterBand* band = ds->GetRasterBand(b);
    if (nodata) band->SetNoDataValue(*nodata);
    REQUIRE(band->RasterIO(GF_Write, 0, 0, kWidth, kHeight, cells.data(), kWidth, kHeight, GDT_Float64, 0, 0, nullptr) ==
            CE_None);
  }
  GDALClose(ds);
}

// Radiance with fractions (not exactly summable), a nodata value here and there; cloud-free
// counts 0–4, so about a fifth of cells are masked, differently in each band.
double radiance(int b, int r, int c) {
  const uint32_t h = static_cast<uint32_t>(r * 7919 + c * 104729 + b * 1299709) * 2654435761u;
  if (h % 97 == 0) return -999;
  return static_cast<float>((h >> 8) % 100000) / 997.0f + b;
}
double clouds(int b, int r, int c) { return static_cast<double>((static_cast<uint32_t>(r * 31 + c * 17 + b * 5) * 2246822519u >> 7) % 5); }

struct Cube {
  std::vector<nl::RasterInfo> bands, quality;
  nl::PreparedIndex prepared;
};

Cube make_cube(const std::string& dir, const char* compress = "COMPRESS=DEFLATE", const char* interleave = "INTERLEAVE=PIXEL") {
  write_cube(dir + "/radiance.tif", GDT_Float32, -999.0, radiance, compress, interleave);
  write_cube(dir + "/clouds.tif", GDT_UInt16, std::nullopt, clouds);
  // Three districts with slanted edges across several read windows (so runs have fractions).
  write_text(dir + "/zones.geojson",
             geojson_polygons({{"a", {{{10.3, 49.1}, {13.1, 49.2}, {12.8, 47.9}, {10.6, 47.5}}}},
                               {"b", {{{11.0, 49.9}, {15.7, 49.6}, {15.2, 48.3}, {12.0, 48.9}}}},
                               {"c", {{{13.33, 48.1}, {15.9, 47.7}, {15.1, 45.1}, {12.2, 45.6}}}}}));
  Cube cube;
  for (int b = 1; b <= kBands; ++b) {
    cube.bands.push_back(nl::inspect_raster(dir + "/radiance.tif", b, ""));
    cube.quality.push_back(nl::inspect_raster(dir + "/clouds.tif", b, ""));
  }
  cube.prepared = nl::prepare_zones_cached({{dir + "/zones.geojson", "", "id", {}, "", nl::Datum::wgs84}},
                                           cube.bands.front(), nl::CoverageMode::exact, nl::CoverageCache{"", false});
  return cube;
}

// `nightlights run` over the cube: each band a release (ids 2001-01 … 2001-06), band-matched
// cloud-free counts as quality.
std::string run_config(const std::string& dir, const std::string& out) {
  const std::string path = out + ".yaml";
  write_text(path, "releases:\n"
                   "  files: " + dir + "/radiance.tif\n"
                   "  band: each\n"
                   "  band_ids: [2001-01, 2001-02, 2001-03, 2001-04, 2001-05, 2001-06]\n"
                   "  units: nW/cm2/sr\n"
                   "  quality: {replace: [radiance, clouds], min_count: 1}\n"
                   "zones:\n  z: {path: " + dir + "/zones.geojson, id_field: id}\n"
                   "levels:\n  - {name: zone, zones: z}\n"
                   "stats: [count, nodata_count, sum, mean_area]\n"
                   "output: {directory: " + out + ", maps: false}\n"
                   "threads: 2\n");
  return path;
}

nl::ZonalOptions band_options(const Cube& cube, size_t k, int threads) {
  nl::ZonalOptions o;
  o.threads = threads;
  o.preprocess.nodata = cube.bands[k].nodata;
  o.quality = nl::QualityMask{cube.quality[k], 1};
  o.needs.sketch = true;  // quantile sketches too: every part of the accumulator is compared
  return o;
}

}  // namespace

TEST_CASE("band batch: six bands in one pass read each window once and equal six single-band passes bit for bit") {
  const std::string dir = temp_dir("band-batch");
  const Cube cube = make_cube(dir);
  const nl::CoverageIndex& index = cube.prepared.index;
  const nl::CellAreas areas = nl::raster_cell_areas(cube.bands.front());
  std::vector<nl::ZonalResult> single;
  for (size_t k = 0; k < kBands; ++k) single.push_back(nl::run_zonal(cube.bands[k], index, areas, band_options(cube, k, 2)));
  // 64-cell blocks give 256 × 256 read windows: the zones touch several of the 3 × 3.
  const int64_t one_band = single.front().windows_read;
  CHECK(one_band >= 4);
  for (const int threads : {1, 2}) {
    std::vector<nl::ZonalOptions> options;
    for (size_t k = 0; k < kBands; ++k) options.push_back(band_options(cube, k, threads));
    const nl::BandBatchResult batch = nl::run_zonal_bands(cube.bands, index, areas, options);
    INFO(threads << " thread(s)");
    // The counter: windows decoded for the batch = one band's windows (each decode reads all six).
    CHECK(batch.windows_read == one_band);
    REQUIRE(batch.bands.size() == kBands);
    for (size_t k = 0; k < kBands; ++k) {
      REQUIRE(batch.bands[k].zones.size() == 3);
      CHECK(batch.bands[k].cells_read == single[k].cells_read);
      CHECK(batch.bands[k].negative_cells == single[k].negative_cells);
      for (size_t z = 0; z < 3; ++z) {
        INFO("band " << k + 1 << " zone " << z);
        CHECK(single[k].zones[z].count > 100);  // the zone is measured, and masked cells differ per band
        CHECK(batch.bands[k].zones[z] == single[k].zones[z]);  // every field, bit for bit
      }
    }
  }
  // Bands differ: band 2's sums are not band 1's (so the batch did not feed one band six times).
  CHECK(single[0].zones[0].sum != single[1].zones[0].sum);
  CHECK(single[0].zones[0].count != single[1].zones[0].count);
}

TEST_CASE("band batch: a cube with GDAL's own mask (a per-dataset mask) gives each band run_zonal's bits") {
  const std::string dir = temp_dir("band-batch-mask");
  Cube cube = make_cube(dir);
  const nl::CellAreas areas = nl::raster_cell_areas(cube.bands.front());
  const nl::ZonalResult before = nl::run_zonal(cube.bands[0], cube.prepared.index, areas, band_options(cube, 0, 2));
  {  // mask out the left third of every band: those cells are no data through GDAL's mask alone
    CPLSetConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES");  // inside the file: no .msk to find
    GDALDataset* ds = GDALDataset::Open((dir + "/radiance.tif").c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE);
    REQUIRE(ds);
    REQUIRE(ds->CreateMaskBand(GMF_PER_DATASET) == CE_None);
    std::vector<unsigned char> mask(static_cast<size_t>(kWidth * kHeight), 255);
    for (int r = 0; r < kHeight; ++r)
      for (int c = 0; c < kWidth / 3; ++c) mask[static_cast<size_t>(r * kWidth + c)] = 0;
    REQUIRE(ds->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Write, 0, 0, kWidth, kHeight, mask.data(), kWidth, kHeight,
                                                          GDT_Byte, 0, 0, nullptr) == CE_None);
    GDALClose(ds);
    CPLSetConfigOption("GDAL_TIFF_INTERNAL_MASK", nullptr);
  }
  const nl::CoverageIndex& index = cube.prepared.index;
  std::vector<nl::ZonalOptions> options;
  for (size_t k = 0; k < kBands; ++k) options.push_back(band_options(cube, k, 2));
  const nl::BandBatchResult batch = nl::run_zonal_bands(cube.bands, index, areas, options);
  for (size_t k = 0; k < kBands; ++k) {
    const nl::ZonalResult one = nl::run_zonal(cube.bands[k], index, areas, options[k]);
    for (size_t z = 0; z < 3; ++z) {
      INFO("band " << k + 1 << " zone " << z);
      CHECK(batch.bands[k].zones[z] == one.zones[z]);
    }
  }
  // Zone "a" reaches west of column 200 (lon 12): the mask made more of its cells no data.
  CHECK(batch.bands[0].zones[0].nodata_count > before.zones[0].nodata_count + 1000);
}

TEST_CASE("band batch: the batch size is the memory budget over what one band adds") {
  const std::string dir = temp_dir("band-batch-size");
  const Cube cube = make_cube(dir);
  const nl::CoverageIndex& index = cube.prepared.index;
  const nl::ZonalOptions o = band_options(cube, 0, 2);
  // By hand: 2 threads × a 256 × 256 read window × (4 bytes Float32 + 2 bytes UInt16), plus an
  // accumulator (and a 1 KiB sketch) per zone and per (tile, zone) pair with runs.
  size_t pairs = 0;
  for (int64_t t = 0; t < index.layout.count(); ++t) {
    std::vector<uint32_t> zones;
    for (const auto& run : index.window_runs(t))
      if (std::find(zones.begin(), zones.end(), run.zone) == zones.end()) zones.push_back(run.zone);
    pairs += zones.size();
  }
  const size_t per_band = 2 * 256 * 256 * 6 + (3 + pairs) * (sizeof(nl::ZoneAccumulator) + 1024);
  const auto size = [&](size_t budget) {
    return nl::band_batch_size(cube.bands.front(), o.quality, index, o, kBands, budget);
  };
  CHECK(size(0) == 1);                        // always at least one band
  CHECK(size(per_band * 3 - 1) == 2);         // two fit, three do not
  CHECK(size(per_band * 3) == 3);
  CHECK(size(per_band * 100) == kBands);      // never more than the bands there are
}

TEST_CASE("band batch: the Mumbai cube's 131 bands in one pass equal 131 single-band passes bit for bit") {
  const std::string d = shared_data() + "/viirs-monthly-mumbai";
  if (!fs::exists(d + "/mumbai_radiance.nc")) return;
  Cube cube;
  for (int b = 1; b <= 131; ++b) {
    cube.bands.push_back(nl::inspect_raster(d + "/mumbai_radiance.nc", b, "EPSG:4326"));
    cube.quality.push_back(nl::inspect_raster(d + "/mumbai_clouds.nc", b, "EPSG:4326"));
  }
  cube.prepared = nl::prepare_zones_cached({{d + "/mumbai_districts.shp", "", "censuscode", {}, "", nl::Datum::wgs84}},
                                           cube.bands.front(), nl::CoverageMode::exact, nl::CoverageCache{"", false});
  const nl::CoverageIndex& index = cube.prepared.index;
  const nl::CellAreas areas = nl::raster_cell_areas(cube.bands.front());
  std::vector<nl::ZonalOptions> options;
  for (size_t k = 0; k < cube.bands.size(); ++k) options.push_back(band_options(cube, k, 2));
  const nl::BandBatchResult batch = nl::run_zonal_bands(cube.bands, index, areas, options);
  // 48 × 101 cells: one read window holds the whole cube, decoded once for 131 bands.
  CHECK(batch.windows_read == 1);
  int masked_months = 0;
  for (size_t k = 0; k < cube.bands.size(); ++k) {
    const nl::ZonalResult one = nl::run_zonal(cube.bands[k], index, areas, options[k]);
    CHECK(one.windows_read == 1);
    for (size_t z = 0; z < 2; ++z) {
      INFO("band " << k + 1 << " district " << cube.prepared.layers[0].ids[z]);
      CHECK(batch.bands[k].zones[z] == one.zones[z]);
    }
    masked_months += one.zones[0].nodata_count > 0 ? 1 : 0;
  }
  CHECK(masked_months > 0);  // the cloud-free counts did mask cells (monsoon months)
}

TEST_CASE("band batch: a run measures the cube's six bands in one pass, each band's sums those of zonal --quality") {
  const std::string dir = temp_dir("band-batch-run");
  make_cube(dir);
  const auto r = nightlights("run '" + run_config(dir, dir + "/out") + "'");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("6 release(s) processed") != std::string::npos);
  // One pass for the six bands; the counter: windows read for all six = one band's.
  const auto at = r.output.find("6 band(s) measured in one pass (bands 1–6): ");
  REQUIRE_MESSAGE(at != std::string::npos, r.output);
  const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
  const auto number_after = [&](const std::string& word) { return std::stoi(line.substr(line.find(word) + word.size())); };
  CHECK(number_after("bands 1–6): ") == number_after("one band alone reads "));
  CHECK(number_after("bands 1–6): ") >= 4);
  for (int band = 1; band <= kBands; ++band) {
    const std::string one = dir + "/band" + std::to_string(band) + ".csv";
    const auto z = nightlights("zonal -q -r '" + dir + "/radiance.tif' -b " + std::to_string(band) + " -p '" + dir +
                               "/zones.geojson' -f id --quality '" + dir + "/clouds.tif' --min-count 1 -s count,sum -o '" + one + "'");
    REQUIRE_MESSAGE(z.exit_code == 0, z.output);
    const auto single = csv_lines(one), run = csv_lines(dir + "/out/releases/2001-0" + std::to_string(band) + "/zone.csv");
    REQUIRE(single.size() == 4);
    REQUIRE(run.size() == 4);
    const auto column = [](const std::vector<std::string>& header, const std::string& name) {
      return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    for (size_t i = 1; i < 4; ++i)
      for (size_t j = 1; j < 4; ++j) {
        if (single[i][0] != run[j][column(run[0], "id")]) continue;
        INFO("band " << band << " zone " << single[i][0]);
        // The same sums printed the same way: equal text, i.e. within 1e-12 and in fact the same bits.
        CHECK(single[i][column(single[0], "sum")] == run[j][column(run[0], "sum")]);
        CHECK(single[i][column(single[0], "count")] == run[j][column(run[0], "count")]);
      }
  }
}

TEST_CASE("band batch: a read error names the file, the band and the block, and gives no partial sums") {
  const std::string dir = temp_dir("band-batch-damaged");
  // Uncompressed, band after band: cutting the last 12th of the file loses half of band 6. (A
  // run hashes every band's pixels when it plans, so a cube damaged before the run fails there;
  // this is the cube damaged between planning and measuring, or a read that fails.)
  Cube cube = make_cube(dir, "COMPRESS=NONE", "INTERLEAVE=BAND");
  fs::resize_file(dir + "/radiance.tif", fs::file_size(dir + "/radiance.tif") * 11 / 12);
  std::vector<nl::ZonalOptions> options;
  for (size_t k = 0; k < kBands; ++k) options.push_back(band_options(cube, k, 2));
  std::string error;
  try {
    (void)nl::run_zonal_bands(cube.bands, cube.prepared.index, nl::raster_cell_areas(cube.bands.front()), options);
  } catch (const nl::UserError& e) {
    error = e.what();
  }
  INFO(error);
  CHECK(error.find("radiance.tif#band=6: read error in the block at row ") != std::string::npos);
  CHECK(error.find(" (64x") != std::string::npos);  // a 64-cell-wide block, not the 256 × 256 window
}

TEST_CASE("band batch: under mpirun -n 2 the cube's band batches go to ranks whole, with the bytes of one process") {
  if (!nl::cluster::built_with_mpi() || run("command -v mpirun").exit_code != 0) {
    MESSAGE("built without MPI or no mpirun; skipped");
    return;
  }
  const std::string dir = temp_dir("band-batch-mpi");
  make_cube(dir);
  const auto one = nightlights("run -q --no-cache '" + run_config(dir, dir + "/one") + "'");
  REQUIRE_MESSAGE(one.exit_code == 0, one.output);
  const auto two = run("timeout 120 mpirun -n 2 '" + std::string(NIGHTLIGHTS_EXE) + "' run --no-cache '" +
                       run_config(dir, dir + "/two") + "'");
  REQUIRE_MESSAGE(two.exit_code == 0, two.output);
  CHECK(csv_tables_under(dir + "/one") == csv_tables_under(dir + "/two"));  // every table and panel, byte for byte
  CHECK(csv_tables_under(dir + "/one").size() == 6 + 1);  // 6 releases' zone.csv + the panel's
  // Six bands on two ranks: at least one batch per rank, so two batches of three, the first
  // (bands 1–3) on rank 0 and the second (bands 4–6) on rank 1 (whose log is silent; its
  // releases' provenance says where they were measured), each read in one pass.
  CHECK(two.output.find("3 band(s) measured in one pass (bands 1–3)") != std::string::npos);
  for (int band = 1; band <= kBands; ++band) {
    const auto prov = nlohmann::json::parse(read_file(dir + "/two/releases/2001-0" + std::to_string(band) + "/provenance.json"));
    CHECK_MESSAGE(prov.at("measured_on_rank").get<int>() == (band <= 3 ? 0 : 1), band);
  }
}
