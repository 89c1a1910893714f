// `nightlights zonal` end to end on generated rasters and polygons: every statistic against a
// brute-force cell-by-cell computation, identical bytes at 1 and 2 threads.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>

#include "geometry_reference.hpp"
#include "kernels/cell_area.hpp"
#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {

std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  std::vector<std::map<std::string, std::string>> rows;
  const auto lines = csv_lines(path);
  for (size_t l = 1; l < lines.size(); ++l) {
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < lines[0].size() && i < lines[l].size(); ++i) row[lines[0][i]] = lines[l][i];
    rows.push_back(row);
  }
  return rows;
}

struct Brute {
  double count = 0, nodata_count = 0, valid_area = 0, nodata_area = 0, sum = 0, sum_area = 0,
         lit_area = 0, min = INFINITY, max = -INFINITY, stdev = NAN;
};

// Built by append: GCC 12 warns falsely (-Wrestrict) on "z" + std::to_string(z).
std::string zone_id(size_t z) {
  std::string id = "z";
  id.append(std::to_string(z));
  return id;
}

constexpr int W = 150, H = 110;
constexpr double X0 = 100.0, Y0 = 40.0, D = 0.01;
constexpr float NODATA = -9999.f;

}  // namespace

TEST_CASE("zonal end to end: all statistics equal a brute-force double loop; 1 and 2 threads give the same bytes") {
  const std::string dir = temp_dir("zonal-e2e");
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> value(0.0, 80.0);
  std::vector<float> raster(static_cast<size_t>(W) * H);
  for (size_t i = 0; i < raster.size(); ++i) {
    double v = value(rng);
    if (i % 37 == 0) v = NODATA;
    if (i % 53 == 0) v = NAN;
    if (i % 11 == 0) v = 0;  // dark background cells
    raster[i] = static_cast<float>(v);
  }
  const double gt[6] = {X0, D, 0, Y0, 0, -D};
  write_geotiff(dir + "/r.tif", W, H, gt, raster, NODATA, 32);

  // Zones in cell coordinates, converted to lon/lat for the GeoJSON.
  std::vector<std::vector<Ring>> zones_cells;
  zones_cells.push_back({testref::random_star(rng, 40, 30, 5, 25, 60)});
  zones_cells.push_back({testref::random_star(rng, 100, 70, 10, 35, 200)});
  zones_cells.push_back({testref::box(10.5, 60.25, 70.75, 100.5), testref::box(20, 70, 40, 90, true)});
  zones_cells.push_back({testref::random_star(rng, 145, 5, 10, 20, 40)});   // crosses two edges
  zones_cells.push_back({testref::box(300, 300, 310, 310)});                // misses the raster
  zones_cells.push_back({Ring{{{77.2, 33.3}, {77.6, 33.35}, {77.3, 33.8}}, false}});  // inside a cell
  std::vector<std::pair<std::string, std::vector<std::vector<CellPoint>>>> features;
  for (size_t z = 0; z < zones_cells.size(); ++z) {
    std::vector<std::vector<CellPoint>> rings;
    for (const auto& ring : zones_cells[z]) {
      std::vector<CellPoint> ll;
      for (const auto& p : ring.points) ll.push_back({X0 + p.x * D, Y0 - p.y * D});
      rings.push_back(ll);
    }
    features.push_back({zone_id(z), rings});
  }
  write_text(dir + "/zones.geojson", geojson_polygons(features));

  const std::string stats = "count,nodata_count,valid_area_km2,nodata_area_km2,valid_fraction,sum,mean,sum_area,mean_area,lit_area_km2,min,max,stdev";
  const std::string common = "zonal -q -r " + dir + "/r.tif -p " + dir + "/zones.geojson -f id -s " + stats;
  auto r1 = nightlights(common + " --threads 1 -o " + dir + "/t1.csv");
  REQUIRE_MESSAGE(r1.exit_code == 0, r1.output);
  auto r2 = nightlights(common + " --threads 2 -o " + dir + "/t2.csv");
  REQUIRE_MESSAGE(r2.exit_code == 0, r2.output);
  CHECK(read_file(dir + "/t1.csv") == read_file(dir + "/t2.csv"));

  const auto rows = read_csv(dir + "/t1.csv");
  REQUIRE(rows.size() == zones_cells.size());
  GridGeometry grid{X0, Y0, D, -D, W, H};
  const auto areas = geographic_row_cell_areas_km2(grid);
  for (size_t z = 0; z < zones_cells.size(); ++z) {
    // The raster as the test wrote it, the cell fractions by clipping: an independent path.
    std::vector<Ring> rings;
    for (const auto& ring : zones_cells[z]) {
      Ring rr{{}, ring.hole};
      for (const auto& p : ring.points) rr.points.push_back({((X0 + p.x * D) - X0) / D, ((Y0 - p.y * D) - Y0) / -D});
      rings.push_back(rr);
    }
    const auto f = testref::brute_force_fractions(rings, W, H);
    Brute b;
    for (int r = 0; r < H; ++r)
      for (int c = 0; c < W; ++c) {
        const double fr = f[static_cast<size_t>(r) * W + c];
        if (fr <= kMinCoverageFraction) continue;
        const double x = raster[static_cast<size_t>(r) * W + c];
        if (std::isnan(x) || x == NODATA) {
          b.nodata_count += fr;
          b.nodata_area += fr * areas[r];
          continue;
        }
        b.count += fr;
        b.sum += fr * x;
        b.valid_area += fr * areas[r];
        b.sum_area += fr * areas[r] * x;
        if (x > 0) b.lit_area += fr * areas[r];
        b.min = std::min(b.min, x);
        b.max = std::max(b.max, x);
      }
    if (b.count > 0) {
      double m2 = 0;
      const double mean = b.sum / b.count;
      for (int r = 0; r < H; ++r)
        for (int c = 0; c < W; ++c) {
          const double fr = f[static_cast<size_t>(r) * W + c];
          const double x = raster[static_cast<size_t>(r) * W + c];
          if (fr > kMinCoverageFraction && !std::isnan(x) && x != NODATA) m2 += fr * (x - mean) * (x - mean);
        }
      b.stdev = std::sqrt(m2 / b.count);
    }
    const auto& row = rows[z];
    INFO("zone " << z);
    CHECK(row.at("id") == zone_id(z));
    auto num = [&](const char* k) { return std::stod(row.at(k)); };
    CHECK(num("count") == doctest::Approx(b.count).epsilon(1e-9));
    CHECK(num("nodata_count") == doctest::Approx(b.nodata_count).epsilon(1e-9));
    CHECK(num("valid_area_km2") == doctest::Approx(b.valid_area).epsilon(1e-9));
    CHECK(num("nodata_area_km2") == doctest::Approx(b.nodata_area).epsilon(1e-9));
    CHECK(num("sum") == doctest::Approx(b.sum).epsilon(1e-9));
    CHECK(num("sum_area") == doctest::Approx(b.sum_area).epsilon(1e-9));
    CHECK(num("lit_area_km2") == doctest::Approx(b.lit_area).epsilon(1e-9));
    if (b.count > 0) {
      CHECK(num("mean") == doctest::Approx(b.sum / b.count).epsilon(1e-9));
      CHECK(num("mean_area") == doctest::Approx(b.sum_area / b.valid_area).epsilon(1e-9));
      CHECK(num("valid_fraction") == doctest::Approx(b.valid_area / (b.valid_area + b.nodata_area)).epsilon(1e-9));
      CHECK(num("min") == b.min);
      CHECK(num("max") == b.max);
      CHECK(num("stdev") == doctest::Approx(b.stdev).epsilon(1e-9));
    } else {
      // A zone that misses the raster: zeros, and empty mean/min/max/stdev.
      CHECK(row.at("mean").empty());
      CHECK(row.at("min").empty());
      CHECK(row.at("max").empty());
      CHECK(row.at("stdev").empty());
      CHECK(num("count") == 0.0);
    }
  }
}

TEST_CASE("zonal end to end: --floor turns dim valid cells into background, counted in count but not in lit area") {
  const std::string dir = temp_dir("zonal-floor");
  std::vector<float> raster(16 * 16);
  for (size_t i = 0; i < raster.size(); ++i) raster[i] = (i % 2) ? 0.2f : 5.0f;
  const double gt[6] = {0, 1.0 / 240, 0, 0, 0, -1.0 / 240};
  write_geotiff(dir + "/r.tif", 16, 16, gt, raster, std::nullopt, 16);
  write_text(dir + "/z.geojson", geojson_polygons({{"all", {{{0, 0}, {16.0 / 240, 0}, {16.0 / 240, -16.0 / 240}, {0, -16.0 / 240}}}}}));
  auto r = nightlights("zonal -q -r " + dir + "/r.tif -p " + dir + "/z.geojson -f id -s count,sum,lit_area_km2,valid_area_km2 --floor 0.3 -o " + dir + "/o.csv");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const auto rows = read_csv(dir + "/o.csv");
  REQUIRE(rows.size() == 1);
  // 256 cells, half of them 0.2 → 0 under the floor: sum = 128 × 5; lit area = half the area.
  CHECK(std::stod(rows[0].at("count")) == doctest::Approx(256.0));
  CHECK(std::stod(rows[0].at("sum")) == doctest::Approx(640.0));
  CHECK(std::stod(rows[0].at("lit_area_km2")) == doctest::Approx(std::stod(rows[0].at("valid_area_km2")) / 2));
}
