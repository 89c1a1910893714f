// The gap table in words (gap_sentences): the sentences the end of `nightlights run` prints,
// on hand-made tables whose rounded numbers are worked out in the comments.
#include <doctest/doctest.h>

#include <cmath>

#include "pipeline/analysis/gap_sentences.hpp"

namespace {

nl::GapRow row(const std::string& group, int64_t counted, int64_t left_out, double sum_area, double valid_area,
               bool compared = true) {
  nl::GapRow r;
  r.group = group;
  r.units_counted = counted;
  r.units_left_out = left_out;
  r.compared = compared;
  r.acc.sum_area = sum_area;
  r.acc.valid_area = valid_area;
  return r;
}

// Brightness (sum_area / valid_area): East 9, Central 3.8, West 0.64, Northeast 2.75; all four
// 1619 / 400 = 4.0475. Light 1619 in all, area 400.
nl::GapTable four_regions() {
  nl::GapTable t;
  t.rows = {row("East", 10, 1, 900, 100),      row("Central", 8, 0, 380, 100),
            row("West", 1200, 2, 64, 100),     row("Northeast", 5, 0, 275, 100),
            row("all", 1223, 3, 1619, 400),    row("other", 24, 3, 50, 2, false)};
  t.reference_brightness = 9;
  return t;
}

nl::GapsConfig config() {
  nl::GapsConfig c;
  c.level = "county";
  c.region_level = "region";
  return c;  // groups East, Central, West, Northeast; west West; reference East
}

}  // namespace

TEST_CASE("gap sentences: ratios to West, shares of light and area, units left out") {
  const auto s = nl::gap_sentences(four_regions(), config(), 0.5);
  REQUIRE(s.size() == 3);
  // 9 / 0.64 = 14.0625, 3.8 / 0.64 = 5.9375, 2.75 / 0.64 = 4.296875, 4.0475 / 0.64 = 6.32…
  CHECK(s[0] == "East is 14.1× as bright per km² as West; Central 5.9×; Northeast 4.3×; all 4 groups together 6.3×.");
  // Light 900/1619 = 55.59 %, 380/1619 = 23.47 %, 64/1619 = 3.95 %, 275/1619 = 16.99 %; area 25 % each.
  CHECK(s[1] == "East has 55.6 % of the light on 25.0 % of the area; Central 23.5 % on 25.0 %; West 4.0 % on 25.0 %; "
               "Northeast 17.0 % on 25.0 %.");
  // The `all` row's counts; the group outside the comparison is named with its own count.
  CHECK(s[2] == "1,223 county units counted, 3 left out (valid_fraction below 0.5, or no valid cell); other (24 "
               "units) is outside the comparison.");
}

TEST_CASE("gap sentences: a West without light gives no ratios, the shares stay") {
  nl::GapTable t = four_regions();
  t.rows[2].acc.sum_area = 0;  // West brightness 0: every ratio to it is undefined
  t.rows[4].acc.sum_area = 1555;
  const auto s = nl::gap_sentences(t, config(), 0);
  REQUIRE(s.size() == 2);
  // 900 / 1555 = 57.88 %.
  CHECK(s[0].rfind("East has 57.9 % of the light on 25.0 % of the area; ", 0) == 0);
  CHECK(s[1] == "1,223 county units counted, 3 left out (valid_fraction below 0, or no valid cell); other (24 "
               "units) is outside the comparison.");
}

TEST_CASE("gap sentences: ratios rounded for reading") {
  CHECK(nl::rounded_ratio(14.49) == "14.5");  // one decimal from 1 up
  CHECK(nl::rounded_ratio(5.97) == "6.0");
  CHECK(nl::rounded_ratio(1) == "1.0");
  CHECK(nl::rounded_ratio(0.636) == "0.64");  // two significant digits below 1
  CHECK(nl::rounded_ratio(0.0456) == "0.046");
  CHECK(nl::rounded_ratio(NAN) == "n/a");
}
