// The same inputs give the same bytes at any thread count and any MPI rank count (quantile
// sketches and centres of light included, through levels too); a failure on
// one rank ends the release (or the job) cleanly, never a hang.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "geometry_reference.hpp"
#include "pipeline/engine/cluster.hpp"
#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {

// A 300 × 220 raster in 32 × 32 tiles (70 windows) and 40 random zones, in three releases.
struct Scene {
  std::string dir;
  explicit Scene(const std::string& name, std::vector<int> years = {2019, 2020, 2021}) : dir(temp_dir(name)) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> v(0, 60);
    const double gt[6] = {110, 0.01, 0, 35, 0, -0.01};
    fs::create_directories(dir + "/rel");
    for (int year : years) {
      std::vector<float> r(300 * 220);
      for (size_t i = 0; i < r.size(); ++i) r[i] = i % 97 == 0 ? -1.0f : static_cast<float>(v(rng) * (year - 2017));
      write_geotiff(dir + "/rel/dn_" + std::to_string(year) + ".tif", 300, 220, gt, r, -1.0, 32);
    }
    std::vector<std::pair<std::string, std::vector<std::vector<CellPoint>>>> zones;
    for (int z = 0; z < 40; ++z) {
      std::uniform_real_distribution<double> cx(0, 300), cy(0, 220);
      Ring star = testref::random_star(rng, cx(rng), cy(rng), 3, 40, 50);
      std::vector<CellPoint> ll;
      for (const auto& p : star.points) ll.push_back({110 + p.x * 0.01, 35 - p.y * 0.01});
      std::string id = "z";
      id.append(std::to_string(z));
      zones.push_back({id, {ll}});
    }
    write_text(dir + "/zones.geojson", geojson_polygons(zones));
    write_text(dir + "/groups.csv", "key,group\nz0,East\nz1,West\nz2,Central\nz3,Northeast\n");
  }
  std::string config(const std::string& out) const {
    const std::string path = out + ".yaml";
    write_text(path, "releases: {files: " + dir + "/rel/dn_*.tif, pattern: \"dn_{year}.tif\", units: DN}\n"
                     "zones: {z: {path: " + dir + "/zones.geojson, id_field: id}}\n"
                     "levels:\n  - {name: zone, zones: z}\n  - {name: tens, from: zone, key: \"id[0:2]\"}\n"
                     "  - {name: region, from: zone, key: \"id[0:2]\", lookup: " + dir + "/groups.csv, unmatched: other}\n"
                     "stats: [count, sum, mean_area, stdev, median, p90, \"quantile(0.25)\", median_area, light_lon, light_lat, area_lon]\n"
                     "output: {directory: " + out + "}\n");
    return path;
  }
};

bool have_mpirun() { return cluster::built_with_mpi() && run("command -v mpirun").exit_code == 0; }

}  // namespace

TEST_CASE("determinism: nightlights run gives identical tables at 1 and 2 threads") {
  Scene s("det-threads");
  auto a = nightlights("run -q --threads 1 " + s.config(s.dir + "/t1"));
  REQUIRE_MESSAGE(a.exit_code == 0, a.output);
  auto b = nightlights("run -q --threads 2 " + s.config(s.dir + "/t2"));
  REQUIRE_MESSAGE(b.exit_code == 0, b.output);
  const auto ta = csv_tables_under(s.dir + "/t1"), tb = csv_tables_under(s.dir + "/t2");
  CHECK(ta.size() == 3 * 4 + 4 + 1);  // 3 releases × (3 levels + gaps) + 4 panels + centre_of_light (light_lon asked)
  CHECK(ta == tb);
}

TEST_CASE("determinism: mpirun -n 1 and -n 2 give identical bytes (zonal and run)") {
  if (!have_mpirun()) {
    MESSAGE("built without MPI or no mpirun; skipped");
    return;
  }
  Scene s("det-mpi");
  const std::string exe = std::string("'") + NIGHTLIGHTS_EXE + "'";
  const std::string zonal = " zonal -q --no-cache -r " + s.dir + "/rel/dn_2020.tif -p " + s.dir +
                            "/zones.geojson -f id -s count,nodata_count,sum,mean_area,min,max,stdev,median,p90,median_area,light_lon,light_lat,area_lon,area_lat --threads 1 -o ";
  auto z1 = run("timeout 120 mpirun -n 1 " + exe + zonal + s.dir + "/z1.csv");
  REQUIRE_MESSAGE(z1.exit_code == 0, z1.output);
  auto z2 = run("timeout 120 mpirun -n 2 " + exe + zonal + s.dir + "/z2.csv");
  REQUIRE_MESSAGE(z2.exit_code == 0, z2.output);
  CHECK(read_file(s.dir + "/z1.csv") == read_file(s.dir + "/z2.csv"));
  auto plain = nightlights(zonal.substr(1) + s.dir + "/z0.csv");
  CHECK(read_file(s.dir + "/z0.csv") == read_file(s.dir + "/z2.csv"));

  auto r1 = run("timeout 120 mpirun -n 1 " + exe + " run -q --no-cache " + s.config(s.dir + "/m1"));
  REQUIRE_MESSAGE(r1.exit_code == 0, r1.output);
  auto r2 = run("timeout 120 mpirun -n 2 " + exe + " run -q --no-cache " + s.config(s.dir + "/m2"));
  REQUIRE_MESSAGE(r2.exit_code == 0, r2.output);
  CHECK(csv_tables_under(s.dir + "/m1") == csv_tables_under(s.dir + "/m2"));
}

TEST_CASE("determinism: under mpirun -n 2 a truncated release fails alone, without a hang") {
  if (!have_mpirun()) {
    MESSAGE("built without MPI or no mpirun; skipped");
    return;
  }
  Scene s("det-mpi-fail");
  const std::string bad = s.dir + "/rel/dn_2020.tif";
  std::vector<float> v(300 * 220, 3.0f);
  const double gt[6] = {110, 0.01, 0, 35, 0, -0.01};
  write_geotiff(bad, 300, 220, gt, v, -1.0, 32, "EPSG:4326", "NONE");
  fs::resize_file(bad, fs::file_size(bad) * 2 / 3);  // the last third of the tiles is gone
  auto r = run("timeout 120 mpirun -n 2 '" + std::string(NIGHTLIGHTS_EXE) + "' run --no-cache " + s.config(s.dir + "/out"));
  INFO(r.output);
  CHECK(r.exit_code == 1);  // 124 would be the timeout: a hang
  CHECK(r.output.find("release 2020 failed") != std::string::npos);
  CHECK(r.output.find("dn_2020.tif: read error in the block") != std::string::npos);
  CHECK(fs::exists(s.dir + "/out/releases/2019/zone.csv"));
  CHECK(fs::exists(s.dir + "/out/releases/2021/zone.csv"));
  CHECK_FALSE(fs::exists(s.dir + "/out/releases/2020"));
}

TEST_CASE("determinism: mpirun -n 2 on 4 releases gives whole releases to ranks and the bytes of one process") {
  if (!have_mpirun()) {
    MESSAGE("built without MPI or no mpirun; skipped");
    return;
  }
  Scene s("det-mpi-releases", {2018, 2019, 2020, 2021});
  const std::string exe = std::string("'") + NIGHTLIGHTS_EXE + "'";
  auto one = nightlights("run -q --no-cache " + s.config(s.dir + "/one"));
  REQUIRE_MESSAGE(one.exit_code == 0, one.output);
  auto two = run("timeout 120 mpirun -n 2 " + exe + " run --no-cache " + s.config(s.dir + "/two"));
  REQUIRE_MESSAGE(two.exit_code == 0, two.output);
  // Every table and panel, byte for byte: 4 releases x (3 levels + gaps) + 4 panels +
  // centre_of_light (the scene's stats ask for light_lon).
  const auto t1 = csv_tables_under(s.dir + "/one"), t2 = csv_tables_under(s.dir + "/two");
  CHECK(t1.size() == 4 * 4 + 4 + 1);
  CHECK(t1 == t2);
  // Whole releases went to ranks: release k (plan order) to rank k mod 2, said in the log and
  // recorded in each release's provenance; without ranks the field is absent.
  CHECK(two.output.find("4 releases on 2 ranks: whole releases") != std::string::npos);
  CHECK(two.output.find("release 2019 (2/4, new, rank 1): done in") != std::string::npos);
  const int expected[] = {0, 1, 0, 1};
  for (int i = 0; i < 4; ++i) {
    const std::string year = std::to_string(2018 + i);
    const auto prov = nlohmann::json::parse(read_file(s.dir + "/two/releases/" + year + "/provenance.json"));
    CHECK_MESSAGE(prov.at("measured_on_rank").get<int>() == expected[i], year);
    CHECK_FALSE(nlohmann::json::parse(read_file(s.dir + "/one/releases/" + year + "/provenance.json")).contains("measured_on_rank"));
  }

  // One release (no more releases than ranks): its windows are split across the ranks, as before.
  auto single = run("timeout 120 mpirun -n 2 " + exe + " run --no-cache --only 2020 " + s.config(s.dir + "/single"));
  REQUIRE_MESSAGE(single.exit_code == 0, single.output);
  CHECK(single.output.find("whole releases") == std::string::npos);
  CHECK(read_file(s.dir + "/single/releases/2020/zone.csv") == read_file(s.dir + "/one/releases/2020/zone.csv"));

  // Release 2019 truncated: measured on rank 1, it fails there alone; rank 0 records it, the
  // three others are written, the job exits 1 without a hang.
  const std::string bad = s.dir + "/rel/dn_2019.tif";
  std::vector<float> v(300 * 220, 3.0f);
  const double gt[6] = {110, 0.01, 0, 35, 0, -0.01};
  write_geotiff(bad, 300, 220, gt, v, -1.0, 32, "EPSG:4326", "NONE");
  fs::resize_file(bad, fs::file_size(bad) * 2 / 3);
  auto failed = run("timeout 120 mpirun -n 2 " + exe + " run --no-cache " + s.config(s.dir + "/failed"));
  INFO(failed.output);
  CHECK(failed.exit_code == 1);  // 124 would be the timeout: a hang
  CHECK(failed.output.find("release 2019 failed") != std::string::npos);
  CHECK(failed.output.find("dn_2019.tif: read error in the block") != std::string::npos);
  CHECK(failed.output.find("(on rank 1)") != std::string::npos);
  CHECK_FALSE(fs::exists(s.dir + "/failed/releases/2019"));
  for (const char* year : {"2018", "2020", "2021"})
    CHECK(read_file(s.dir + "/failed/releases/" + std::string(year) + "/zone.csv") ==
          read_file(s.dir + "/one/releases/" + std::string(year) + "/zone.csv"));
}
