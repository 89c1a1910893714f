// gap_to_reference has one definition in the level tables and gaps.csv: a group's brightness
// counts only the units the gap table counts (valid_fraction ≥ min_valid_fraction), so the
// reference group's own row in region.csv is exactly 0 and every region row matches gaps.csv,
// also when some county is left out.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "pipeline/analysis/levels.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

nl::ZoneAccumulator acc(double valid_area, double nodata_area, double sum_area) {
  nl::ZoneAccumulator a;
  a.count = 1;
  a.valid_area = valid_area;
  a.nodata_area = nodata_area;
  a.sum_area = sum_area;
  return a;
}

// code → gap_to_reference cell of a level table.
std::map<std::string, std::string> gap_column(const std::string& csv) {
  std::map<std::string, std::string> out;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  const auto header = nl::split_csv_line(line);
  REQUIRE(header.back() == "gap_to_reference");
  while (std::getline(in, line)) {
    const auto f = nl::split_csv_line(line);
    out[f[1]] = f.back();
  }
  return out;
}

// Columns of a level or gaps table by header name, rows by the value of `key`.
std::map<std::string, std::map<std::string, std::string>> table_by(const std::string& path, const std::string& key) {
  const auto lines = csv_lines(path);
  std::map<std::string, std::map<std::string, std::string>> out;
  for (size_t r = 1; r < lines.size(); ++r) {
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < lines[0].size() && c < lines[r].size(); ++c) row[lines[0][c]] = lines[r][c];
    out[row.at(key)] = row;
  }
  return out;
}

}  // namespace

TEST_CASE("gap reference: a left-out county counts neither in the reference nor in its region's row") {
  // Counties a, b (East) and c, d (West); b has valid_fraction 3 / 10 = 0.3 < 0.5: left out.
  std::vector<nl::LevelUnits> levels(2);
  levels[0].name = "county";
  levels[0].codes = {"a", "b", "c", "d"};
  levels[0].field_names = {"region"};
  levels[0].fields = {{"East"}, {"East"}, {"West"}, {"West"}};
  levels[0].acc = {acc(10, 0, 30), acc(3, 7, 3), acc(20, 0, 10), acc(10, 0, 2)};
  nl::LevelConfig county, region;
  county.name = "county";
  county.zones = "counties";
  region.name = "region";
  region.from = "county";
  region.key_field = "region";
  nl::derive_level_membership({county, region}, levels);
  nl::merge_level_accumulators(levels);
  nl::GapsConfig gaps;
  gaps.level = "county";
  gaps.region_level = "region";
  gaps.groups = {"East", "West"};
  const nl::GapTable table = nl::gap_table(gaps, levels[0], {"East", "East", "West", "West"}, 0.5);
  CHECK(table.reference_brightness == 3.0);  // a alone: 30 / 10 (the region's mean_area is 33 / 13)

  const auto region_brightness = nl::gap_brightness(levels, 0, 1, 0.5);
  const auto region_gap = gap_column(nl::level_csv("r", levels[1], {nl::parse_statistic("mean_area")}, 0.5,
                                                   table.reference_brightness, {}, &region_brightness));
  CHECK(region_gap.at("East") == "0");  // was 1 − (33/13)/3 = 0.1538… with the left-out county in
  // West: (10 + 2) / (20 + 10) = 0.4, so 1 − 0.4 / 3 — the value gaps.csv's West brightness gives.
  CHECK(region_gap.at("West") == nl::format_number(1 - 0.4 / 3.0));

  // The county level keeps each county's own brightness, the left-out one too (flagged included = 0).
  const auto county_brightness = nl::gap_brightness(levels, 0, 0, 0.5);
  const auto county_gap = gap_column(nl::level_csv("r", levels[0], {nl::parse_statistic("mean_area")}, 0.5,
                                                   table.reference_brightness, {}, &county_brightness));
  CHECK(county_gap.at("a") == "0");
  CHECK(county_gap.at("b") == nl::format_number(1 - 1 / 3.0));
}

TEST_CASE("gap reference: run on the samples with East counties left out: region.csv agrees with gaps.csv") {
  const std::string dir = temp_dir("gap-reference-run");
  // The demo's configuration with absolute paths, no GeoPackages, and a min_valid_fraction that
  // leaves out some East counties (coastal ones, partly sea at 5′).
  write_text(dir + "/config.yaml", sample_config(dir + "/out", {{"min_valid_fraction: 0.5", "min_valid_fraction: 0.9"}}));
  const auto r = nightlights("run -q '" + dir + "/config.yaml'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  const auto gaps = table_by(dir + "/out/releases/2008/gaps.csv", "group");
  const auto region = table_by(dir + "/out/releases/2008/region.csv", "code");
  REQUIRE(std::stoi(gaps.at("East").at("units_left_out")) > 0);  // the case this test is about
  const double reference = std::stod(gaps.at("East").at("mean_area"));
  CHECK(region.at("East").at("gap_to_reference") == "0");
  for (const char* group : {"Central", "West", "Northeast"}) {
    INFO(group);
    REQUIRE(region.count(group));  // the samples' ten provinces reach all four regions
    // gaps.csv prints the shortest text that reads back as the same double: the same arithmetic
    // on it gives the region row's value to the last bit.
    const double expected = 1 - std::stod(gaps.at(group).at("mean_area")) / reference;
    CHECK(region.at(group).at("gap_to_reference") == nl::format_number(expected));
  }
}
