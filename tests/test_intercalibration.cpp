// DMSP inter-calibration: every DN 0-63 of five satellite-years against the polynomial by hand,
// the conventions (DN 0, clipping, no observation), the published table's pinned rows and its
// checks (rows under the wrong satellite, negative R², a missing satellite-year), and the rules
// that combine two satellites of one year.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "kernels/intercalibration.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/intercalibration_table.hpp"

namespace {

using namespace nl;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const IntercalibrationTable& elvidge2014() {
  static const IntercalibrationTable t = load_intercalibration("elvidge2014", NIGHTLIGHTS_SOURCE_DIR "/configs");
  return t;
}

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

const std::string kHeader = "sets:\n  mine:\n    reference: F121999\n    rows:\n      F121999: [0, 1, 0, 1]\n";

}  // namespace

TEST_CASE("intercalibration: the rows DESIGN.md quotes from Elvidge et al. 2014 are in the table as published") {
  // DESIGN.md: F101992 (−2.0570, 1.5903, −0.0090), F162007 (0.6394, 0.9114, 0.0014),
  // F182012 (1.8750, 0.6203, 0.0052); the reference F121999 is the identity.
  const auto& t = elvidge2014();
  const auto check = [&](const char* id, double c0, double c1, double c2) {
    const auto& c = t.at(parse_satellite_year(id)).coefficients;
    CHECK(c.c0 == c0);
    CHECK(c.c1 == c1);
    CHECK(c.c2 == c2);
  };
  check("F101992", -2.0570, 1.5903, -0.0090);
  check("F162007", 0.6394, 0.9114, 0.0014);
  check("F182012", 1.8750, 0.6203, 0.0052);
  check("F121999", 0, 1, 0);
  CHECK(t.reference.id() == "F121999");
  // 33 rows: F10 ×3, F12 ×6, F14 ×7, F15 2000–2007 ×8, F16 2004–2009 ×6, F18 2010–2012 ×3.
  CHECK(t.rows.size() == 33);
  for (const auto& [s, row] : t.rows) {
    CHECK(flew(s));
    CHECK(row.r2 >= 0);
    CHECK(row.r2 <= 1);
  }
  // F18's rows are F18's: a copy that files them under F16 has F162010, which F16 never flew.
  CHECK(t.rows.count(parse_satellite_year("F162010")) == 0);
}

TEST_CASE("intercalibration: every DN 0-63 of five satellite-years equals C0 + C1·DN + C2·DN² clipped to [0, 63]") {
  const auto& t = elvidge2014();
  for (const char* id : {"F101992", "F121996", "F152004", "F162007", "F182012"}) {
    IntercalibrationOptions o;
    o.coefficients = t.at(parse_satellite_year(id)).coefficients;
    const auto& c = o.coefficients;
    for (int dn = 0; dn <= 63; ++dn) {
      const double x = dn;
      double expected = c.c0 + c.c1 * x + c.c2 * x * x;  // the polynomial by hand
      expected = std::min(63.0, std::max(0.0, expected));
      if (dn == 0) expected = 0;  // DN 0 stays 0 (C0 would light every dark cell)
      INFO(id << " DN " << dn);
      CHECK(calibrate_dn(x, o) == doctest::Approx(expected).epsilon(1e-15));
    }
  }
  // F101992 at DN 63: −2.057 + 100.1889 − 35.721 = 62.4109, inside the range; F182012 at 63:
  // 1.875 + 39.0789 + 20.6388 = 61.5927; F162007 at 1: 0.6394 + 0.9114 + 0.0014 = 1.5522.
  IntercalibrationOptions f10;
  f10.coefficients = t.at(parse_satellite_year("F101992")).coefficients;
  CHECK(calibrate_dn(63, f10) == doctest::Approx(62.4109).epsilon(1e-12));
  IntercalibrationOptions f16;
  f16.coefficients = t.at(parse_satellite_year("F162007")).coefficients;
  CHECK(calibrate_dn(1, f16) == doctest::Approx(1.5522).epsilon(1e-12));
}

TEST_CASE("intercalibration: clipping, DN 0, no observation and saturation follow the documented conventions") {
  IntercalibrationOptions o;
  o.coefficients = {5, 2, 0};  // 5 + 2·DN: DN 30 → 65, above the range
  CHECK(calibrate_dn(30, o) == 63);
  CHECK(calibrate_dn(0, o) == 0);  // not 5
  o.zero_stays_zero = false;
  CHECK(calibrate_dn(0, o) == 5);
  o.coefficients = {-3, 1, 0};  // DN 1 → −2, below the range
  CHECK(calibrate_dn(1, o) == 0);
  o.clip_low.reset();
  CHECK(calibrate_dn(1, o) == -2);
  CHECK(std::isnan(calibrate_dn(255, o)));   // no observation
  CHECK(std::isnan(calibrate_dn(kNaN, o)));  // GDAL's nodata/mask
  o.no_observation.reset();
  o.clip_high.reset();
  CHECK(calibrate_dn(255, o) == 252);
  // Saturation is counted on raw DN: 63 calibrated by F182012 is 61.59, yet the cell is saturated.
  IntercalibrationOptions f18;
  f18.coefficients = elvidge2014().at(parse_satellite_year("F182012")).coefficients;
  xt::xtensor<double, 2> w = {{63, 62, 0}, {63, 255, 63}};
  CHECK(calibrate_window(w, f18) == 3);
  CHECK(w(0, 0) == doctest::Approx(61.5927).epsilon(1e-12));
  CHECK(std::isnan(w(1, 1)));
}

TEST_CASE("intercalibration: a satellite-year without coefficients fails with its name") {
  // Elvidge 2014 ends at F182012: F182013 must not be calibrated as the identity.
  const std::string m = message_of([] { (void)elvidge2014().at(parse_satellite_year("F182013")); });
  CHECK(m.find("F182013") != std::string::npos);
  CHECK(m.find("elvidge2014") != std::string::npos);
  CHECK(message_of([] { (void)elvidge2014().at(parse_satellite_year("F152008")); }).find("F152008") != std::string::npos);
}

TEST_CASE("intercalibration: tables with rows under the wrong satellite, negative R² or a non-identity reference are refused") {
  // The error of public copies: F18's 2010 row filed as F162010 (F16 flew 2004–2009).
  CHECK(message_of([] { parse_intercalibration_table(kHeader + "      F162010: [2.343, 0.5102, 0.0065, 0.8462]\n", "t.yaml", ""); })
            .find("F162010: F16 flew 2004–2009") != std::string::npos);
  CHECK(message_of([] { parse_intercalibration_table(kHeader + "      F152001: [-0.4365, 1.085, -0.0009, -0.959]\n", "t.yaml", ""); })
            .find("not in [0, 1]") != std::string::npos);
  CHECK(message_of([] {
          parse_intercalibration_table("sets:\n  x:\n    reference: F121999\n    rows:\n      F121999: [0.1, 1, 0]\n", "t.yaml", "");
        }).find("identity") != std::string::npos);
  CHECK(message_of([] { parse_intercalibration_table(kHeader + "      F092001: [0, 1, 0]\n", "t.yaml", ""); })
            .find("not a DMSP satellite") != std::string::npos);
  // A user table of the same shape works, and its rows are what it says.
  const auto t = parse_intercalibration_table(kHeader + "      F182013: [1.5, 0.7, 0.004]\n", "t.yaml", "");
  CHECK(t.name == "mine");
  CHECK(t.at(parse_satellite_year("F182013")).coefficients.c1 == 0.7);
  // Elvidge 2009 is not shipped (no verifiable copy of the paper's table): selecting it says so.
  CHECK(message_of([] { load_intercalibration("elvidge2009", NIGHTLIGHTS_SOURCE_DIR "/configs"); }).find("not shipped") !=
        std::string::npos);
}

TEST_CASE("intercalibration: two satellites of one year combine as documented") {
  // mean: both lit → mean; one lit → that one; both 0 → 0; no data in one → the other; both → no data.
  CHECK(combine_two(10, 20, CombineRule::mean) == 15);
  CHECK(combine_two(0, 20, CombineRule::mean) == 20);
  CHECK(combine_two(7, 0, CombineRule::mean) == 7);
  CHECK(combine_two(0, 0, CombineRule::mean) == 0);
  CHECK(combine_two(kNaN, 9, CombineRule::mean) == 9);
  CHECK(combine_two(9, kNaN, CombineRule::mean) == 9);
  CHECK(std::isnan(combine_two(kNaN, kNaN, CombineRule::mean)));
  // earlier/later: that satellite's value, the other only where it has no data.
  CHECK(combine_two(10, 20, CombineRule::earlier) == 10);
  CHECK(combine_two(0, 20, CombineRule::earlier) == 0);
  CHECK(combine_two(10, 20, CombineRule::later) == 20);
  CHECK(combine_two(kNaN, 20, CombineRule::earlier) == 20);
  CHECK(combine_two(10, kNaN, CombineRule::later) == 10);
  CHECK(std::isnan(combine_two(kNaN, kNaN, CombineRule::later)));
  CHECK(parse_combine_rule("mean") == CombineRule::mean);
  CHECK_THROWS(parse_combine_rule("max"));
}
