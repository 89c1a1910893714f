// The command line's help and its answer to a mistyped command: run the binary and read what a
// person would read.
#include <doctest/doctest.h>

#include "kernels/statistics_registry.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;

namespace {
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("help: an unknown command is named, with the closest one") {
  const auto r = nightlights("zonl -r x.tif");
  INFO(r.output);
  CHECK(r.exit_code == 2);  // a usage error
  CHECK(r.output ==
        "nightlights: error: unknown command 'zonl' (did you mean 'zonal'?); nightlights --help lists the commands\n");
  // Nothing close: no suggestion.
  const auto far = nightlights("statistics");
  INFO(far.output);
  CHECK(far.exit_code == 2);
  CHECK(has(far.output, "unknown command 'statistics'; nightlights --help"));
}

TEST_CASE("help: the top-level list shows zonal and run, not the benchmark's decode-floor") {
  const auto r = nightlights("--help");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(has(r.output, "zonal"));
  CHECK(has(r.output, "run"));
  CHECK_FALSE(has(r.output, "decode-floor"));
  // Hidden from the list, still there for scripts/bench.
  const auto d = nightlights("decode-floor --help");
  INFO(d.output);
  CHECK(d.exit_code == 0);
  CHECK(has(d.output, "-r,--raster RASTER REQUIRED"));
}

TEST_CASE("help: zonal --help lists every statistic and shows placeholders and defaults") {
  const auto r = nightlights("zonal --help");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  for (const auto& n : nl::statistic_names()) CHECK(has(r.output, n));
  CHECK(has(r.output, "mean_area, lit_area_km2, min, max, stdev"));  // the names in the accumulator's order
  CHECK(has(r.output, "-r,--raster RASTER REQUIRED"));
  CHECK(has(r.output, "-p,--polygons PATH REQUIRED"));
  CHECK(has(r.output, "-o,--output PATH REQUIRED"));
  CHECK(has(r.output, "-b,--band N=1"));                              // default band
  CHECK(has(r.output, "-s,--stats STATS=count,sum,mean,min,max"));    // default statistics
  CHECK(has(r.output, "--coverage MODE=exact"));
  CHECK(has(r.output, "--datum DATUM=wgs84"));
  CHECK(has(r.output, "--threads N "));  // not CLI11's "N:INT in [1 - 65536]"
  CHECK_FALSE(has(r.output, "TEXT"));     // CLI11's generic placeholders are all replaced
  CHECK_FALSE(has(r.output, "INT"));
  CHECK_FALSE(has(r.output, "FLOAT"));
}

TEST_CASE("help: run --help shows placeholders") {
  const auto r = nightlights("run --help");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(has(r.output, "config CONFIG.yaml REQUIRED"));
  CHECK(has(r.output, "--only RELEASE"));
  CHECK(has(r.output, "--releases GLOB"));
  CHECK(has(r.output, "--threads N "));
  CHECK(has(r.output, "--cache-dir DIR="));
  CHECK_FALSE(has(r.output, "TEXT"));
}
