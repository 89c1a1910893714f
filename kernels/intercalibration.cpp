// DMSP-OLS inter-calibration: the polynomial with its conventions, the two-satellite rules,
// and the satellites' flight years.
#include "kernels/intercalibration.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace nl {

double calibrate_dn(double dn, const IntercalibrationOptions& o) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (std::isnan(dn) || (o.no_observation && dn == *o.no_observation)) return nan;
  if (dn == 0 && o.zero_stays_zero) return 0;
  const CalibrationCoefficients& c = o.coefficients;
  double v = c.c0 + c.c1 * dn + c.c2 * dn * dn;
  if (o.clip_low && v < *o.clip_low) v = *o.clip_low;
  if (o.clip_high && v > *o.clip_high) v = *o.clip_high;
  return v;
}

int64_t calibrate_window(xt::xtensor<double, 2>& values, const IntercalibrationOptions& o) {
  int64_t saturated = 0;
  for (double& x : values) {
    saturated += is_saturated(x, o) ? 1 : 0;
    x = calibrate_dn(x, o);
  }
  return saturated;
}

CombineRule parse_combine_rule(const std::string& name) {
  if (name == "mean") return CombineRule::mean;
  if (name == "earlier") return CombineRule::earlier;
  if (name == "later") return CombineRule::later;
  throw std::invalid_argument("unknown combine rule '" + name + "' (use mean, earlier or later)");
}

const char* combine_rule_name(CombineRule r) {
  switch (r) {
    case CombineRule::mean: return "mean";
    case CombineRule::earlier: return "earlier";
    case CombineRule::later: return "later";
  }
  return "?";
}

double combine_two(double a, double b, CombineRule rule) {
  if (std::isnan(a)) return b;  // the valid one where the other is no data (NaN if both)
  if (std::isnan(b)) return a;
  switch (rule) {
    case CombineRule::earlier: return a;
    case CombineRule::later: return b;
    case CombineRule::mean: break;
  }
  if (a > 0 && b > 0) return 0.5 * (a + b);
  if (a > 0) return a;  // a satellite that missed a light does not halve it
  if (b > 0) return b;
  return 0;
}

SatelliteYear parse_satellite_year(const std::string& t) {
  const auto digit = [&](size_t i) { return t[i] >= '0' && t[i] <= '9'; };
  bool ok = t.size() == 7 && (t[0] == 'F' || t[0] == 'f');
  for (size_t i = 1; ok && i < 7; ++i) ok = digit(i);
  if (!ok) throw std::invalid_argument(std::string("'").append(t).append("' is not a satellite-year like F162007"));
  SatelliteYear s;
  s.satellite = std::string("F").append(t, 1, 2);
  s.year = std::stoi(t.substr(3));
  return s;
}

std::optional<std::pair<int, int>> years_flown(const std::string& satellite) {
  // NOAA/NGDC version 4 stable-lights composites; F15 also has a 2008 composite.
  static const std::map<std::string, std::pair<int, int>> flown{
      {"F10", {1992, 1994}}, {"F12", {1994, 1999}}, {"F14", {1997, 2003}},
      {"F15", {2000, 2008}}, {"F16", {2004, 2009}}, {"F18", {2010, 2013}}};
  const auto it = flown.find(satellite);
  if (it == flown.end()) return std::nullopt;
  return it->second;
}

bool flew(const SatelliteYear& s) {
  const auto years = years_flown(s.satellite);
  return years && s.year >= years->first && s.year <= years->second;
}

}  // namespace nl
