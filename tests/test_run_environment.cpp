// The environment is read once, by app/run_environment: each variable reaches the engine's
// limits with its documented unit (the index budget in MiB, the cache limit in decimal MB), a
// malformed size is an error naming the variable, and unset variables give the defaults.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "pipeline/app/run_environment.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace {

// Sets (or, with nullptr, unsets) a variable for the life of the object, then restores it.
struct EnvValue {
  std::string name;
  std::string old;
  bool had = false;
  EnvValue(std::string n, const char* value) : name(std::move(n)) {
    if (const char* o = std::getenv(name.c_str())) had = true, old = o;
    if (value) setenv(name.c_str(), value, 1);
    else unsetenv(name.c_str());
  }
  ~EnvValue() {
    if (had) setenv(name.c_str(), old.c_str(), 1);
    else unsetenv(name.c_str());
  }
  EnvValue(const EnvValue&) = delete;
  EnvValue& operator=(const EnvValue&) = delete;
};

}  // namespace

TEST_CASE("run environment: each variable reaches the engine's limits in its documented unit") {
  SUBCASE("unset: the defaults") {
    const EnvValue a("NIGHTLIGHTS_INDEX_MEMORY_MB", nullptr), b("NIGHTLIGHTS_CACHE_MAX_MB", nullptr),
        c("TMPDIR", nullptr), d("NIGHTLIGHTS_TIMING", nullptr), e("NIGHTLIGHTS_BAND_BATCH_MB", nullptr);
    const nl::RunEnvironment env = nl::read_run_environment();
    CHECK(env.limits.index_memory_bytes == size_t{128} * 1024 * 1024);
    CHECK(env.limits.cache_max_bytes == uint64_t{4096} * 1000 * 1000);
    CHECK(env.limits.scratch_dir == "/tmp");
    CHECK(env.limits.band_batch_memory_bytes == size_t{64} * 1024 * 1024);
    CHECK(!env.timing);
  }
  SUBCASE("set: 2 MiB of index, 0.5 MB of cache, a scratch folder, timings on") {
    const EnvValue a("NIGHTLIGHTS_INDEX_MEMORY_MB", "2"), b("NIGHTLIGHTS_CACHE_MAX_MB", "0.5"),
        c("TMPDIR", "/scratch/job"), d("NIGHTLIGHTS_TIMING", "1");
    const nl::RunEnvironment env = nl::read_run_environment();
    CHECK(env.limits.index_memory_bytes == 2 * 1048576);
    CHECK(env.limits.cache_max_bytes == 500000);
    CHECK(env.limits.scratch_dir == "/scratch/job");
    CHECK(env.timing);
  }
  SUBCASE("a malformed size names its variable") {
    const EnvValue a("NIGHTLIGHTS_INDEX_MEMORY_MB", "lots");
    CHECK_THROWS_WITH_AS(nl::read_run_environment(), doctest::Contains("NIGHTLIGHTS_INDEX_MEMORY_MB='lots'"),
                         nl::UserError);
  }
  SUBCASE("the cache folder: NIGHTLIGHTS_CACHE_DIR, else XDG_CACHE_HOME, else HOME") {
    const EnvValue a("NIGHTLIGHTS_CACHE_DIR", nullptr), b("XDG_CACHE_HOME", "/xdg"), c("HOME", "/home/u");
    CHECK(nl::default_cache_directory() == "/xdg/nightlights");
    {
      const EnvValue d("NIGHTLIGHTS_CACHE_DIR", "/fast/cache");
      CHECK(nl::default_cache_directory() == "/fast/cache");
    }
    const EnvValue e("XDG_CACHE_HOME", nullptr);
    CHECK(nl::default_cache_directory() == "/home/u/.cache/nightlights");
  }
}
