// The coverage index cache: a warm run gives the same bytes as a cold one, and a cache is never
// used when stale (zones changed), damaged, or made for another grid; its size limit evicts the
// least recently used entries; killed writers' temporaries are cleaned.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <cstring>
#include <ctime>
#include <random>
#include <map>
#include <set>

#include "pipeline/engine/chunked_checksum.hpp"
#include "pipeline/io/temporary_files.hpp"
#include "pipeline/app/zonal_command.hpp"

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
  size_t cache_files() const { return entries().size(); }
  std::set<std::string> entries() const {
    std::set<std::string> out;
    if (fs::exists(cache))
      for (const auto& e : fs::directory_iterator(cache))
        if (e.path().extension() == ".nlcov") out.insert(e.path().string());
    return out;
  }
  // The entry a run added (exactly one).
  std::string new_entry(const std::set<std::string>& before) const {
    std::string added;
    for (const auto& e : entries())
      if (!before.count(e)) added = e;
    REQUIRE_MESSAGE(!added.empty(), "the run added no cache entry");
    return added;
  }
};

void set_mtime(const std::string& path, time_t seconds) {
  const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

time_t mtime_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mtime;
}

// `nightlights zonal` in this process (no process start, which dominates a run this small),
// with stderr captured; a UserError counts as exit code 1.
CommandResult zonal_in_process(const nl::ZonalCommandOptions& z) {
  const std::string log = z.output + ".stderr";
  std::fflush(stderr);
  const int saved = dup(2), fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE((saved >= 0 && fd >= 0));
  dup2(fd, 2);
  close(fd);
  CommandResult r{0, ""};
  try {
    nl::run_zonal_command(z);
  } catch (const std::exception& e) {
    r.exit_code = 1;
    r.output = std::string("error: ") + e.what() + "\n";
  }
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  r.output += read_file(log);
  return r;
}

// "NIGHTLIGHTS_CACHE_MAX_MB=…" for exactly this many bytes (the variable takes decimal megabytes).
std::string max_mb(uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "NIGHTLIGHTS_CACHE_MAX_MB=%.6f ", static_cast<double>(bytes) / 1e6);
  return buf;
}

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

// Issue 9, item 2: before the checksum, 18 of 40 random one-byte changes of a cache file changed
// results silently and most others became an error on every run. Now the file's XXH3 checksum
// covers every byte before it (and a change to the checksum itself cannot match), so each of
// these 200 changes must be noticed: a warning, a rebuild, and the same table as a cold run.
TEST_CASE("cache: 200 random one-byte changes of a cache file each mean a warned rebuild, never another result") {
  CacheFixture f("cache-corrupt");
  nl::ZonalCommandOptions z;  // the fixture's zonal command, run in this process: 200 runs stay fast
  z.raster = f.raster;
  z.zones.path = f.zones;
  z.zones.id_field = "id";
  z.stats = nl::parse_statistics("count,sum,mean_area,stdev");
  z.cache_dir = f.cache;
  z.output = f.dir + "/expected.csv";
  auto cold = f.zonal(z.output, "--no-cache");
  REQUIRE_MESSAGE(cold.exit_code == 0, cold.output);
  const std::string expected = read_file(z.output);
  z.output = f.dir + "/prime.csv";
  REQUIRE(zonal_in_process(z).exit_code == 0);
  REQUIRE(read_file(z.output) == expected);
  REQUIRE(f.cache_files() == 1);
  const std::string entry = *f.entries().begin();
  const std::string original = read_file(entry);
  REQUIRE(original.size() > 1000);
  std::mt19937_64 rng(9002);  // fixed: the same 200 positions and masks on every run
  z.output = f.dir + "/flipped.csv";
  int rebuilt = 0;
  for (int i = 0; i < 200; ++i) {
    const size_t at = static_cast<size_t>(rng() % original.size());
    const auto mask = static_cast<char>(1 + rng() % 255);  // never 0: the byte always changes
    std::string damaged = original;
    damaged[at] = static_cast<char>(damaged[at] ^ mask);
    write_text(entry, damaged);  // the previous iteration's rebuild is replaced: one change at a time
    fs::remove(z.output);
    auto r = zonal_in_process(z);
    INFO("flip ", i, ": byte ", at, " of ", original.size(), " xor ", static_cast<int>(static_cast<unsigned char>(mask)));
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    CHECK(read_file(z.output) == expected);
    if (r.output.find("coverage index from the cache") == std::string::npos) {
      CHECK(r.output.find("warning: coverage cache " + entry) != std::string::npos);
      ++rebuilt;
    }
  }
  CHECK(rebuilt == 200);
  // The rebuilt entry replaced the damaged one and is used again.
  auto again = f.zonal(f.dir + "/again.csv");
  CHECK(again.output.find("coverage index from the cache") != std::string::npos);
  CHECK(read_file(f.dir + "/again.csv") == expected);
}

TEST_CASE("cache: an entry of another format version or an empty entry is rebuilt with a warning") {
  CacheFixture f("cache-version");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  const std::string entry = *f.entries().begin();
  std::string old = read_file(entry);
  old[6] = '1';  // "NLCOV01": the format before the checksum
  write_text(entry, old);
  auto r = f.zonal(f.dir + "/b.csv");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("another format version") != std::string::npos);
  CHECK(read_file(f.dir + "/a.csv") == read_file(f.dir + "/b.csv"));
  write_text(entry, "");
  auto empty = f.zonal(f.dir + "/c.csv");
  REQUIRE_MESSAGE(empty.exit_code == 0, empty.output);
  CHECK(empty.output.find("is empty") != std::string::npos);
  CHECK(read_file(f.dir + "/a.csv") == read_file(f.dir + "/c.csv"));
  CHECK(f.zonal(f.dir + "/d.csv").output.find("coverage index from the cache") != std::string::npos);
}

// Entries for the three coverage modes, used in a known order; a tiny NIGHTLIGHTS_CACHE_MAX_MB
// must then evict exactly the least recently used ones.
TEST_CASE("cache: over NIGHTLIGHTS_CACHE_MAX_MB the least recently used entries are evicted") {
  CacheFixture f("cache-evict");
  std::map<std::string, std::string> entry;
  std::map<std::string, uint64_t> bytes;
  for (const std::string mode : {"exact", "center", "all-touched"}) {
    const auto before = f.entries();
    REQUIRE(f.zonal(f.dir + "/" + mode + ".csv", "--coverage " + mode).exit_code == 0);
    entry[mode] = f.new_entry(before);
    bytes[mode] = fs::file_size(entry[mode]);
  }
  const time_t now = std::time(nullptr);
  set_mtime(entry["exact"], now - 300);
  set_mtime(entry["center"], now - 200);
  set_mtime(entry["all-touched"], now - 100);
  // Using exact makes it the most recently used: center is now the oldest.
  auto warm = f.zonal(f.dir + "/exact-warm.csv", "--coverage exact");
  REQUIRE(warm.output.find("coverage index from the cache") != std::string::npos);
  CHECK(mtime_of(entry["exact"]) >= now);

  // Room for two: the warm run's tidy-up evicts center alone.
  auto limited = run(max_mb(bytes["exact"] + bytes["all-touched"]) + "'" + NIGHTLIGHTS_EXE + "' zonal -r " + f.raster +
                     " -p " + f.zones + " -f id -s count,sum,mean_area,stdev --cache-dir " + f.cache + " -o " + f.dir +
                     "/limited.csv");
  REQUIRE_MESSAGE(limited.exit_code == 0, limited.output);
  CHECK(limited.output.find("coverage index from the cache") != std::string::npos);
  CHECK(f.entries() == std::set<std::string>{entry["exact"], entry["all-touched"]});
  CHECK(read_file(f.dir + "/limited.csv") == read_file(f.dir + "/exact.csv"));

  // Storing center again with room for exact + center: all-touched (used before exact) goes.
  auto stored = run(max_mb(bytes["exact"] + bytes["center"]) + "'" + NIGHTLIGHTS_EXE + "' zonal -r " + f.raster + " -p " +
                    f.zones + " -f id --coverage center --cache-dir " + f.cache + " -o " + f.dir + "/center2.csv");
  REQUIRE_MESSAGE(stored.exit_code == 0, stored.output);
  CHECK(f.entries() == std::set<std::string>{entry["exact"], entry["center"]});

  // A limit of 0: nothing is cached, and the run still succeeds.
  auto none = run("NIGHTLIGHTS_CACHE_MAX_MB=0 '" + std::string(NIGHTLIGHTS_EXE) + "' zonal -r " + f.raster + " -p " +
                  f.zones + " -f id --cache-dir " + f.cache + " -o " + f.dir + "/none.csv");
  REQUIRE_MESSAGE(none.exit_code == 0, none.output);
  CHECK(f.cache_files() == 0);
  auto bad = run("NIGHTLIGHTS_CACHE_MAX_MB=lots '" + std::string(NIGHTLIGHTS_EXE) + "' zonal -r " + f.raster + " -p " +
                 f.zones + " -f id --cache-dir " + f.cache + " -o " + f.dir + "/bad.csv");
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("NIGHTLIGHTS_CACHE_MAX_MB='lots' is not a size in megabytes") != std::string::npos);
}

TEST_CASE("cache: nightlights cache list shows each entry's size and grid, and clear removes them") {
  CacheFixture f("cache-command");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  const std::string entry = *f.entries().begin();
  auto list = nightlights("cache list --cache-dir " + f.cache);
  REQUIRE_MESSAGE(list.exit_code == 0, list.output);
  CHECK(list.output.find(entry) != std::string::npos);
  CHECK(list.output.find("grid 128x96, cells 0.01 x -0.01, exact, zones " + f.zones) != std::string::npos);
  CHECK(list.output.find("1 entries") != std::string::npos);
  auto clear = nightlights("cache clear --cache-dir " + f.cache);
  REQUIRE_MESSAGE(clear.exit_code == 0, clear.output);
  CHECK(clear.output.find("removed 1 entries") != std::string::npos);
  CHECK(f.cache_files() == 0);
  CHECK(nightlights("cache prune --cache-dir " + f.cache).exit_code == 2);  // not an action
}

// A writer killed with SIGKILL leaves its temporary: the next use of the cache removes it, but
// never the temporary of a process that is still writing.
TEST_CASE("cache: temporaries of dead writers are removed from the cache folder, live ones kept") {
  CacheFixture f("cache-temps");
  fs::create_directories(f.cache);
  const std::string host = nl::temporary_host(), t = std::to_string(std::time(nullptr));
  const std::string dead = f.cache + "/coverage-0.nlcov.tmp." + host + "." + std::to_string(dead_pid()) + "." + t;
  const std::string live = f.cache + "/coverage-1.nlcov.tmp." + host + "." + std::to_string(getpid()) + "." + t;
  write_text(dead, "partial");
  write_text(live, "partial");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(live));
}

// A file whose checksum matches but whose contents do not add up (what another build could
// write): the two read failures keep their own words. The header is magic (8 bytes), run size
// (4), then the identity key's uint64 length at byte 12.
TEST_CASE("cache: a checksummed entry cut short or holding a length of 2^63 is rebuilt, saying which") {
  CacheFixture f("cache-contents");
  REQUIRE(f.zonal(f.dir + "/a.csv").exit_code == 0);
  const std::string entry = *f.entries().begin();
  const std::string original = read_file(entry);
  REQUIRE(original.size() > 100);
  // `body` with a fresh checksum behind it, so only the structural reads can object.
  const auto write_checksummed = [&](std::string body) {
    const uint64_t sum =
        nl::chunked_checksum(reinterpret_cast<const unsigned char*>(body.data()), body.size(), false);
    body.append(reinterpret_cast<const char*>(&sum), sizeof sum);
    write_text(entry, body);
  };
  // The last 4 of the 8 end-marker bytes gone: the final read is short.
  write_checksummed(original.substr(0, original.size() - 8 - 4));
  auto cut = f.zonal(f.dir + "/b.csv");
  REQUIRE_MESSAGE(cut.exit_code == 0, cut.output);
  CHECK(cut.output.find("is shorter than its contents say") != std::string::npos);
  CHECK(read_file(f.dir + "/a.csv") == read_file(f.dir + "/b.csv"));
  std::string body = read_file(entry);  // the rebuilt entry
  body.resize(body.size() - 8);
  const uint64_t huge = uint64_t(1) << 63;
  std::memcpy(body.data() + 12, &huge, sizeof huge);
  write_checksummed(body);
  auto implausible = f.zonal(f.dir + "/c.csv");
  REQUIRE_MESSAGE(implausible.exit_code == 0, implausible.output);
  CHECK(implausible.output.find("holds an implausible length") != std::string::npos);
  CHECK(read_file(f.dir + "/a.csv") == read_file(f.dir + "/c.csv"));
}
