// DMSP-OLS inter-calibration of stable-lights digital numbers (DN' = C0 + C1·DN + C2·DN²,
// Elvidge et al. 2009/2014), the years each DMSP satellite flew, and the per-pixel rules that
// combine the two satellites of one year. Pure: the coefficient tables are read by io.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

namespace nl {

struct CalibrationCoefficients {
  double c0 = 0, c1 = 1, c2 = 0;  // identity: the reference satellite-year (F121999)
};

// The conventions around the polynomial, each a choice the README documents.
struct IntercalibrationOptions {
  CalibrationCoefficients coefficients;
  std::optional<double> no_observation = 255;  // raw value that means "never observed": no data
  bool zero_stays_zero = true;                 // C0 would light every dark cell otherwise
  std::optional<double> clip_low = 0.0, clip_high = 63.0;  // DN's own range
  double saturated_dn = 63;                    // the sensor's ceiling, tested on raw DN
};

// One raw DN to its calibrated value; NaN (and the no-observation value) is no data (NaN).
double calibrate_dn(double dn, const IntercalibrationOptions& o);

// Raw DN equal to the saturation value (tested before calibration, which moves 63).
inline bool is_saturated(double raw_dn, const IntercalibrationOptions& o) { return raw_dn == o.saturated_dn; }

// In place; returns the number of saturated raw cells seen.
int64_t calibrate_window(xt::xtensor<double, 2>& values, const IntercalibrationOptions& o);

// Two satellites of one year, per pixel. `mean`: the mean where both are lit (> 0), the lit
// one where only one is, 0 where both are 0; `earlier`/`later`: that satellite's value. In
// every rule a value that is no data (NaN) gives way to the other; both no data is no data.
enum class CombineRule { mean, earlier, later };
CombineRule parse_combine_rule(const std::string& name);  // throws std::invalid_argument
const char* combine_rule_name(CombineRule r);
double combine_two(double earlier, double later, CombineRule rule);

// A satellite-year "F162007": satellite "F16", year 2007. Throws std::invalid_argument when the
// text is not F + two digits + four digits.
struct SatelliteYear {
  std::string satellite;
  int year = 0;
  std::string id() const { return satellite + std::to_string(year); }
  auto operator<=>(const SatelliteYear&) const = default;
};
SatelliteYear parse_satellite_year(const std::string& text);

// The years a DMSP satellite's stable-lights composites exist for (F10 1992–1994, F12
// 1994–1999, F14 1997–2003, F15 2000–2008, F16 2004–2009, F18 2010–2013); nothing for an
// unknown satellite.
std::optional<std::pair<int, int>> years_flown(const std::string& satellite);
bool flew(const SatelliteYear& s);

}  // namespace nl
