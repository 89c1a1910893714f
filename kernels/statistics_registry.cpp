// The statistics, one line each. To add one: a line in kRegistry below, a row in the README's
// statistics table, and a case in tests/test_statistics_registry.cpp against a brute-force loop.
#include "kernels/statistics_registry.hpp"

#include <charconv>
#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace nl {

namespace {
using V = std::optional<double>;
using A = const ZoneAccumulator&;
constexpr AccumulatorNeeds kPlain{}, kSketch{true, false}, kCentre{false, true};
constexpr double kWgs84E2 = 6.69437999014e-3;  // first eccentricity squared (f = 1/298.257223563)

V when(bool defined, double v) { return defined ? V(v) : std::nullopt; }
V quantile(A a, double q) { return a.sketch.quantile(q, false); }
V quantile_area(A a, double q) { return a.sketch.quantile(q, true); }
V centre(const std::array<double, 3>& s, double weight, bool lat) {
  // Undefined without weight, or where the weights cancel out (light spread evenly round the globe).
  if (!(weight > 0) || std::hypot(s[0], s[1], s[2]) <= 1e-12 * weight) return std::nullopt;
  const auto [lon, la] = lon_lat_of_centre(s[0], s[1], s[2]);
  return lat ? la : lon;
}

const StatisticDescriptor kRegistry[] = {
    // name, parameter, default, needs, meaning, value
    {"count", false, true, kPlain, "Σ c over valid cells", [](A a, double) -> V { return a.count; }},
    {"nodata_count", false, true, kPlain, "Σ c over no-data cells", [](A a, double) -> V { return a.nodata_count; }},
    {"valid_area_km2", false, true, kPlain, "Σ c·A over valid cells", [](A a, double) -> V { return a.valid_area; }},
    {"nodata_area_km2", false, true, kPlain, "Σ c·A over no-data cells", [](A a, double) -> V { return a.nodata_area; }},
    {"valid_fraction", false, true, kPlain, "valid area / (valid + no-data area)",
     [](A a, double) { return when(a.valid_area + a.nodata_area > 0, a.valid_area / (a.valid_area + a.nodata_area)); }},
    {"sum", false, true, kPlain, "Σ c·x", [](A a, double) -> V { return a.sum; }},
    {"mean", false, true, kPlain, "Σ c·x / Σ c", [](A a, double) { return when(a.count > 0, a.mean()); }},
    {"sum_area", false, true, kPlain, "Σ c·A·x (radiance × km²)", [](A a, double) -> V { return a.sum_area; }},
    {"mean_area", false, true, kPlain, "Σ c·A·x / Σ c·A",
     [](A a, double) { return when(a.valid_area > 0, a.sum_area / a.valid_area); }},
    {"lit_area_km2", false, true, kPlain, "Σ c·A over valid cells with x > lit_threshold",
     [](A a, double) -> V { return a.lit_area; }},
    {"min", false, true, kPlain, "smallest valid x", [](A a, double) { return when(a.count > 0, a.min); }},
    {"max", false, true, kPlain, "largest valid x", [](A a, double) { return when(a.count > 0, a.max); }},
    {"stdev", false, true, kPlain, "√(Σ c·(x − mean)² / Σ c)",
     [](A a, double) { return when(a.count > 0, std::sqrt(std::max(0.0, a.m2 / a.count))); }},
    {"variance", false, false, kPlain, "Σ c·(x − mean)² / Σ c", [](A a, double) { return when(a.count > 0, a.m2 / a.count); }},
    {"median", false, false, kSketch, "weighted median of x, weights c", [](A a, double) { return quantile(a, 0.5); }},
    {"quantile", true, false, kSketch, "weighted quantile q of x, weights c", quantile},
    {"p10", false, false, kSketch, "quantile(0.1)", [](A a, double) { return quantile(a, 0.1); }},
    {"p25", false, false, kSketch, "quantile(0.25)", [](A a, double) { return quantile(a, 0.25); }},
    {"p75", false, false, kSketch, "quantile(0.75)", [](A a, double) { return quantile(a, 0.75); }},
    {"p90", false, false, kSketch, "quantile(0.9)", [](A a, double) { return quantile(a, 0.9); }},
    {"median_area", false, false, kSketch, "weighted median of x, weights c·A",
     [](A a, double) { return quantile_area(a, 0.5); }},
    {"quantile_area", true, false, kSketch, "weighted quantile q of x, weights c·A", quantile_area},
    {"light_lon", false, false, kCentre, "longitude of the centre of cell centres weighted by c·A·max(x, 0)",
     [](A a, double) { return centre(a.light, a.light_weight, false); }},
    {"light_lat", false, false, kCentre, "latitude of that centre",
     [](A a, double) { return centre(a.light, a.light_weight, true); }},
    {"area_lon", false, false, kCentre, "longitude of the centre of cell centres weighted by c·A (valid cells)",
     [](A a, double) { return centre(a.area_xyz, a.valid_area, false); }},
    {"area_lat", false, false, kCentre, "latitude of that centre",
     [](A a, double) { return centre(a.area_xyz, a.valid_area, true); }},
};

std::string known_names() {
  std::string known;
  for (const auto& n : statistic_names()) known += (known.empty() ? "" : ", ") + n;
  return known;
}

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return s;
}
}  // namespace

std::span<const StatisticDescriptor> statistic_registry() { return kRegistry; }

Statistic parse_statistic(const std::string& written) {
  const std::string name = trim(written);
  const size_t open = name.find('(');
  const std::string base = trim(name.substr(0, open));
  for (size_t i = 0; i < std::size(kRegistry); ++i) {
    if (base != kRegistry[i].name) continue;
    if (!kRegistry[i].takes_parameter) {
      if (open == std::string::npos) return {i, 0};
      throw std::invalid_argument("statistic '" + base + "' takes no parameter");
    }
    const size_t close = name.rfind(')');
    double q = NAN;
    const std::string inside =
        open == std::string::npos || close != name.size() - 1 ? "" : trim(name.substr(open + 1, close - open - 1));
    const auto [end, ec] = std::from_chars(inside.data(), inside.data() + inside.size(), q);
    if (inside.empty() || ec != std::errc() || end != inside.data() + inside.size() || !(q >= 0 && q <= 1))
      throw std::invalid_argument("statistic '" + name + "' needs a q in [0, 1], as in " + base + "(0.9)");
    return {i, q};
  }
  throw std::invalid_argument("unknown statistic '" + name + "' (known: " + known_names() + ")");
}

std::string statistic_name(const Statistic& s) {
  const auto& d = s.descriptor();
  if (!d.takes_parameter) return d.name;
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, s.parameter);  // shortest round trip
  return std::string(d.name) + "(" + std::string(buffer, ec == std::errc() ? end : buffer) + ")";
}

std::vector<Statistic> parse_statistics(const std::string& list) {
  std::vector<Statistic> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(parse_statistic(item));
  }
  if (out.empty()) throw std::invalid_argument("no statistics given");
  return out;
}

const std::vector<Statistic>& default_statistics() {
  static const std::vector<Statistic> defaults = [] {
    std::vector<Statistic> v;
    for (size_t i = 0; i < std::size(kRegistry); ++i)
      if (kRegistry[i].in_default) v.push_back({i, 0});
    return v;
  }();
  return defaults;
}

std::vector<std::string> statistic_names() {
  std::vector<std::string> names;
  for (const auto& d : kRegistry) names.push_back(std::string(d.name) + (d.takes_parameter ? "(q)" : ""));
  return names;
}

AccumulatorNeeds accumulator_needs(std::span<const Statistic> stats) {
  AccumulatorNeeds n;
  for (const auto& s : stats) {
    n.sketch = n.sketch || s.descriptor().needs.sketch;
    n.centre = n.centre || s.descriptor().needs.centre;
  }
  return n;
}

std::optional<double> statistic_value(const ZoneAccumulator& a, const Statistic& s) {
  return s.descriptor().value(a, s.parameter);
}

std::pair<double, double> lon_lat_of_centre(double x, double y, double z) {
  constexpr double deg = 180.0 / std::numbers::pi;
  return {std::atan2(y, x) * deg, std::atan2(z, (1 - kWgs84E2) * std::hypot(x, y)) * deg};
}

}  // namespace nl
