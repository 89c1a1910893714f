// The coverage index cache: a warm run gives the same bytes as a cold one, and a cache is never
// used when stale (zones changed), damaged, or made for another grid.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <utime.h>

#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

struct CacheFixture {
  std::string dir, raster, zones, cache;
  explicit CacheFixture(const std::string& name) : dir(temp_dir(name)) {
    raster = dir + "/r.tif";
    zones = dir + "/z.geojson";
    cache = dir + "/cache";
    std::vector<float> v(128 * 96);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7919) % 101) / 3.0f;
    const double gt[6] = {100, 0.01, 0, 30, 0, -0.01};
    write_geotiff(raster, 128, 96, gt, v, std::nullopt, 32);
    write_zones(0.0);
  }
  void write_zones(double shift) const {
    write_text(zones, geojson_polygons({{"a", {{{100.05 + shift, 29.95}, {100.73, 29.91}, {100.6, 29.31}, {100.1, 29.4}}}},
                                        {"b", {{{100.5, 29.7}, {101.2, 29.75}, {101.1, 29.1}}}}}));
  }
  CommandResult zonal(const std::string& out, const std::string& extra = "") const {
    return nightlights("zonal -r " + raster + " -p " + zones + " -f id -s count,sum,mean_area,stdev --cache-dir " + cache +
                       " -o " + out + " " + extra);
  }
  size_t cache_files() const {
    size_t n = 0;
    if (fs::exists(cache))
      for (const auto& e : fs::directory_iterator(cache)) n += e.path().extension() == ".nlcov";
    return n;
  }
};

}  // namespace

TEST_CASE("cache: a warm run reads the index from the cache and writes the same bytes as a cold one") {
  CacheFixture f("cache-warm");
  auto cold = f.zonal(f.dir + "/cold.csv", "--no-cache");
  REQUIRE_MESSAGE(cold.exit_code == 0, cold.output);
  CHECK(f.cache_files() == 0);  // --no-cache writes nothing
  auto first = f.zonal(f.dir + "/first.csv");
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  CHECK(f.cache_files() == 1);
  CHECK(first.output.find("from the cache") == std::string::npos);
  auto warm = f.zonal(f.dir + "/warm.csv");
  REQUIRE_MESSAGE(warm.exit_code == 0, warm.output);
  CHECK(warm.output.find("coverage index from the cache") != std::string::npos);
  CHECK(read_file(f.dir + "/cold.csv") == read_file(f.dir + "/warm.csv"));
  CHECK(read_file(f.dir + "/cold.csv") == read_file(f.dir + "/first.csv"));
}

TEST_CASE("cache: changed zones are never served from a stale cache") {
  CacheFixture f("cache-stale");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  f.write_zones(0.02);  // same size? no matter: content differs
  auto r = f.zonal(f.dir + "/b.csv");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("from the cache") == std::string::npos);
  auto cold = f.zonal(f.dir + "/c.csv", "--no-cache");
  CHECK(read_file(f.dir + "/b.csv") == read_file(f.dir + "/c.csv"));
  CHECK(read_file(f.dir + "/a.csv") != read_file(f.dir + "/b.csv"));
}

TEST_CASE("cache: a touched but identical zone file is re-hashed and the cache still used") {
  CacheFixture f("cache-touch");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  struct utimbuf times {1000000000, 1000000000};  // 2001: a different mtime, same bytes
  REQUIRE(utime(f.zones.c_str(), &times) == 0);
  auto r = f.zonal(f.dir + "/b.csv");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("coverage index from the cache") != std::string::npos);
  CHECK(read_file(f.dir + "/a.csv") == read_file(f.dir + "/b.csv"));
}

TEST_CASE("cache: a damaged or truncated cache file is rebuilt, never used") {
  CacheFixture f("cache-damaged");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  REQUIRE(f.cache_files() == 1);
  for (const auto& e : fs::directory_iterator(f.cache)) fs::resize_file(e.path(), fs::file_size(e.path()) - 100);
  auto r = f.zonal(f.dir + "/b.csv");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("from the cache") == std::string::npos);
  CHECK(read_file(f.dir + "/a.csv") == read_file(f.dir + "/b.csv"));
  auto again = f.zonal(f.dir + "/c.csv");  // the rebuilt cache is whole again
  CHECK(again.output.find("coverage index from the cache") != std::string::npos);
}

TEST_CASE("cache: another coverage mode or grid gets its own entry") {
  CacheFixture f("cache-keys");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  auto center = f.zonal(f.dir + "/b.csv", "--coverage center");
  REQUIRE(center.exit_code == 0);
  CHECK(center.output.find("from the cache") == std::string::npos);
  CHECK(f.cache_files() == 2);
  std::vector<float> v(64 * 48, 1.0f);
  const double gt[6] = {100, 0.02, 0, 30, 0, -0.02};
  write_geotiff(f.dir + "/coarse.tif", 64, 48, gt, v, std::nullopt, 32);
  auto coarse = nightlights("zonal -r " + f.dir + "/coarse.tif -p " + f.zones + " -f id --cache-dir " + f.cache + " -o " +
                            f.dir + "/c.csv");
  REQUIRE(coarse.exit_code == 0);
  CHECK(coarse.output.find("from the cache") == std::string::npos);
  CHECK(f.cache_files() == 3);
}

// An index above NIGHTLIGHTS_INDEX_MEMORY_MB goes band by band to an unlinked scratch file in
// $TMPDIR and is mapped; warm runs of such an index drop each window's pages after use. A budget
// of 0 sends every band there: the bytes must not change, cold or warm, and nothing is left behind.
TEST_CASE("cache: an index over the memory budget spills to a scratch file with the same bytes") {
  CacheFixture f("cache-spill");
  const std::string scratch = f.dir + "/tmp";
  fs::create_directories(scratch);
  auto zonal_with_budget = [&](const std::string& out, const std::string& extra) {
    return run("NIGHTLIGHTS_INDEX_MEMORY_MB=0 TMPDIR='" + scratch + "' '" + NIGHTLIGHTS_EXE + "' zonal -r " + f.raster +
               " -p " + f.zones + " -f id -s count,sum,mean_area,stdev --cache-dir " + f.cache + " -o " + out + " " + extra);
  };
  auto memory = f.zonal(f.dir + "/memory.csv", "--no-cache");
  REQUIRE_MESSAGE(memory.exit_code == 0, memory.output);
  const std::string expected = read_file(f.dir + "/memory.csv");
  auto spilled = zonal_with_budget(f.dir + "/spilled.csv", "--no-cache");
  REQUIRE_MESSAGE(spilled.exit_code == 0, spilled.output);
  CHECK(read_file(f.dir + "/spilled.csv") == expected);
  auto prime = zonal_with_budget(f.dir + "/prime.csv", "");  // the cache written from spilled bands
  REQUIRE_MESSAGE(prime.exit_code == 0, prime.output);
  CHECK(read_file(f.dir + "/prime.csv") == expected);
  CHECK(f.cache_files() == 1);
  auto warm = zonal_with_budget(f.dir + "/warm.csv", "");  // pages released after each window
  REQUIRE_MESSAGE(warm.exit_code == 0, warm.output);
  CHECK(warm.output.find("coverage index from the cache") != std::string::npos);
  CHECK(read_file(f.dir + "/warm.csv") == expected);
  auto warm_default = f.zonal(f.dir + "/warm-default.csv");
  REQUIRE_MESSAGE(warm_default.exit_code == 0, warm_default.output);
  CHECK(read_file(f.dir + "/warm-default.csv") == expected);
  CHECK(fs::is_empty(scratch));  // the scratch file was unlinked as soon as it was made

  // No usable $TMPDIR (a path under a regular file, which even root cannot create): one clear
  // error, no table.
  write_text(f.dir + "/plain", "x");
  auto failed = run("NIGHTLIGHTS_INDEX_MEMORY_MB=0 TMPDIR='" + f.dir + "/plain/sub' '" + NIGHTLIGHTS_EXE + "' zonal -r " +
                    f.raster + " -p " + f.zones + " -f id --no-cache -o " + f.dir + "/failed.csv");
  CHECK(failed.exit_code != 0);
  CHECK(failed.output.find("set TMPDIR to a writable folder") != std::string::npos);
  CHECK_FALSE(fs::exists(f.dir + "/failed.csv"));
}
