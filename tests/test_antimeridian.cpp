// Zones across the ±180° seam: the longitude kernels, and `nightlights zonal` on a global grid
// in −180…180 and in 0…360 with a zone spanning 170°E–170°W written three ways.
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/antimeridian.hpp"
#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

TEST_CASE("antimeridian kernel: a ring written 170 -> -170 is unwrapped to 170 -> 190, a ring around a pole is left alone") {
  std::vector<double> crossing{170, -170, -170, 170};
  CHECK(unwrap_ring_longitudes(crossing));
  CHECK(crossing == std::vector<double>{170, 190, 190, 170});

  std::vector<double> plain{10, 20, 20, 10};
  CHECK_FALSE(unwrap_ring_longitudes(plain));
  CHECK(plain == std::vector<double>{10, 20, 20, 10});

  // Antarctica drawn to ±180 and down the pole: the 360° edge along the pole is the ring's own.
  std::vector<double> antarctica{-180, -90, 0, 90, 180, 180, -180};
  const auto before = antarctica;
  CHECK_FALSE(unwrap_ring_longitudes(antarctica));
  CHECK(antarctica == before);

  std::vector<double> corrupt{-1e307, 1e307, 1e307, -1e307};  // left for the caller to refuse or clip
  CHECK_FALSE(unwrap_ring_longitudes(corrupt));

  std::vector<double> hole{-175, -172, -172};
  shift_near(hole, 175);
  CHECK(hole == std::vector<double>{185, 188, 188});
}

TEST_CASE("antimeridian kernel: the turns that bring a polygon onto a grid") {
  CHECK(turns_onto_grid(170, 190, -180, 180) == std::vector<int>{-1, 0});   // both edges of the grid
  CHECK(turns_onto_grid(-180, -170, 0, 360) == std::vector<int>{1});        // 0…360 grid
  CHECK(turns_onto_grid(350, 360, -180, 180) == std::vector<int>{-1});      // 0…360 zone
  CHECK(turns_onto_grid(100, 120, 73, 136) == std::vector<int>{0});         // China: as before
  CHECK(turns_onto_grid(10, 20, 73, 136) == std::vector<int>{0});           // off the grid: kept, empty
  CHECK(turns_onto_grid(160, 180, -180, 180) == std::vector<int>{0});       // touching the edge adds nothing
  CHECK(turns_onto_grid(-1e307, 1e307, -180, 180) == std::vector<int>{0});  // not longitudes: as written
}

namespace {

// A 1° global grid, rows 60–70°N only, whose value is each cell centre's longitude in 0…360,
// so a sum tells which cells a zone took whatever the grid's convention.
void write_global(const std::string& path, double west) {
  const int W = 360, H = 10;
  std::vector<float> v(static_cast<size_t>(W) * H);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) v[static_cast<size_t>(r) * W + c] = static_cast<float>(std::fmod(west + c + 0.5 + 720, 360));
  const double gt[6] = {west, 1, 0, 70, 0, -1};
  write_geotiff(path, W, H, gt, v, std::nullopt, 16);
}

std::string feature(const std::string& id, const std::string& geometry) {
  return "{\"type\":\"Feature\",\"properties\":{\"id\":\"" + id + "\"},\"geometry\":" + geometry + "}";
}

}  // namespace

TEST_CASE("antimeridian: a zone across the seam gets all its cells on -180..180 and 0..360 grids, however it is written") {
  const std::string dir = temp_dir("antimeridian");
  write_global(dir + "/g180.tif", -180);
  write_global(dir + "/g360.tif", 0);
  const std::string zones =
      "{\"type\":\"FeatureCollection\",\"features\":[" +
      feature("east_of_180", "{\"type\":\"Polygon\",\"coordinates\":[[[170,60],[190,60],[190,70],[170,70],[170,60]]]}") + "," +
      feature("written_across", "{\"type\":\"Polygon\",\"coordinates\":[[[170,60],[-170,60],[-170,70],[170,70],[170,60]]]}") + "," +
      feature("split", "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[170,60],[180,60],[180,70],[170,70],[170,60]]],"
                       "[[[-180,60],[-170,60],[-170,70],[-180,70],[-180,60]]]]}") + "," +
      feature("in_0_360", "{\"type\":\"Polygon\",\"coordinates\":[[[350,60],[360,60],[360,70],[350,70],[350,60]]]}") + "]}";
  write_text(dir + "/zones.geojson", zones);

  // 20 columns × 10 rows whose centres are 170.5 … 189.5, i.e. 170.5 … 179.5 and 0.5 … 9.5 in 0…360.
  double seam_sum = 0;
  for (int c = 0; c < 20; ++c) seam_sum += 10 * std::fmod(170.5 + c, 360);
  const double west_sum = 10 * (350.5 + 351.5 + 352.5 + 353.5 + 354.5 + 355.5 + 356.5 + 357.5 + 358.5 + 359.5);
  for (const char* grid : {"g180.tif", "g360.tif"}) {
    INFO(grid);
    const auto r = nightlights("zonal -q -r " + dir + "/" + grid + " -p " + dir + "/zones.geojson -f id -s count,sum -o " +
                               dir + "/" + grid + ".csv");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    const auto lines = csv_lines(dir + "/" + grid + ".csv");
    REQUIRE(lines.size() == 5);
    for (size_t i = 1; i <= 3; ++i) {
      INFO(lines[i][0]);
      CHECK(std::stod(lines[i][1]) == doctest::Approx(200).epsilon(1e-12));
      CHECK(std::stod(lines[i][2]) == doctest::Approx(seam_sum).epsilon(1e-12));
    }
    CHECK(std::stod(lines[4][1]) == doctest::Approx(100).epsilon(1e-12));
    CHECK(std::stod(lines[4][2]) == doctest::Approx(west_sum).epsilon(1e-12));
  }
}
