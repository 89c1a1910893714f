// Convergence's state of a level, whole or one release at a time (see convergence_state.hpp).
// Both ways must give the same bits: the units are in code order, σ sums the same logs in the
// same order, and a unit's last duplicate in a release wins, as in a full rebuild.
#include "pipeline/analysis/convergence_state.hpp"

#include <stdexcept>
#include <unordered_map>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

using json = nlohmann::json;

LevelValues level_values(const ReleaseLevels& record, const std::string& level, double min_valid_fraction) {
  static const Statistic mean_area = parse_statistic("mean_area"), sum_area = parse_statistic("sum_area");
  for (size_t l = 0; l < record.levels.size(); ++l) {
    const LevelUnits& units = record.levels[l];
    if (units.name != level) continue;
    LevelValues v;
    v.codes = units.codes;
    v.regions = record.region_of_level[l];
    for (const ZoneAccumulator& a : units.acc) {
      const bool included = unit_included(a, min_valid_fraction);
      v.brightness.push_back(included ? statistic_value(a, mean_area).value_or(NAN) : NAN);
      v.total_light.push_back(included ? statistic_value(a, sum_area).value_or(NAN) : NAN);
    }
    return v;
  }
  throw UserError("release " + record.release + " has no level '" + level + "' for convergence");
}

double sd_of_logs(const std::vector<double>& logs) {
  const size_t n = logs.size();
  double mean = 0, ss = 0;
  for (double l : logs) mean += l;
  mean /= static_cast<double>(n);
  for (double l : logs) ss += std::pow(l - mean, 2);
  return n ? std::sqrt(ss / n) : NAN;
}

ConvergenceState convergence_state(const std::vector<LevelValues>& values) {
  ConvergenceState s;
  const size_t releases = values.size();
  std::map<std::string, std::vector<double>> brightness;  // [code][release], NaN where absent
  for (size_t r = 0; r < releases; ++r) {
    const LevelValues& v = values[r];
    for (size_t u = 0; u < v.codes.size(); ++u) {
      auto& b = brightness[v.codes[u]];
      b.resize(releases, NAN);
      b[r] = v.brightness[u];
      UnitSummary& unit = s.units[v.codes[u]];
      if (!v.regions.empty()) unit.region = v.regions[u];
    }
  }
  for (const auto& [code, b] : brightness) {
    UnitSummary& unit = s.units[code];
    unit.first = b.front();
    unit.last = b.back();
    unit.balanced = true;
    for (double x : b) unit.balanced = unit.balanced && x > 0;
    s.balanced += unit.balanced;
  }
  std::vector<const std::vector<double>*> panel;  // the balanced units' series, in code order
  for (const auto& [code, b] : brightness)
    if (s.units[code].balanced) panel.push_back(&b);
  std::vector<double> logs;
  for (size_t r = 0; r < releases; ++r) {
    logs.clear();
    for (const auto* b : panel) logs.push_back(std::log((*b)[r]));
    s.sigma.push_back(sd_of_logs(logs));
  }
  return s;
}

bool append_release(ConvergenceState& s, const LevelValues& v) {
  std::unordered_map<std::string, size_t> at;  // code → its last row, as a full rebuild reads it
  at.reserve(v.codes.size());
  for (size_t u = 0; u < v.codes.size(); ++u) at[v.codes[u]] = u;
  const bool first_release = s.sigma.empty();
  for (const auto& [code, unit] : s.units) {
    if (!unit.balanced) continue;
    const auto it = at.find(code);
    if (it == at.end() || !(v.brightness[it->second] > 0)) return false;  // leaves the panel
  }
  for (auto& [code, unit] : s.units) unit.last = NAN;
  for (const auto& [code, u] : at) {
    const auto [it, inserted] = s.units.try_emplace(code);
    UnitSummary& unit = it->second;
    const double b = v.brightness[u];
    if (!v.regions.empty()) unit.region = v.regions[u];
    if (inserted) {
      // A unit first seen after the first release was missing from it: never balanced.
      unit.first = first_release ? b : NAN;
      unit.balanced = first_release && b > 0;
      s.balanced += unit.balanced;
    }
    unit.last = b;
  }
  std::vector<double> logs;
  for (const auto& [code, unit] : s.units)
    if (unit.balanced) logs.push_back(std::log(unit.last));
  s.sigma.push_back(sd_of_logs(logs));
  return true;
}

json level_values_json(const LevelValues& v) {
  return {{"codes", v.codes}, {"regions", v.regions}, {"brightness", v.brightness}, {"total_light", v.total_light}};
}

LevelValues level_values_from_json(const json& j) {
  LevelValues v;
  j.at("codes").get_to(v.codes);
  j.at("regions").get_to(v.regions);
  j.at("brightness").get_to(v.brightness);
  j.at("total_light").get_to(v.total_light);
  const size_t n = v.codes.size();
  if (v.brightness.size() != n || v.total_light.size() != n || (!v.regions.empty() && v.regions.size() != n))
    throw std::runtime_error("level values of unequal lengths");
  return v;
}

json convergence_state_json(const ConvergenceState& s) {
  std::vector<std::string> codes, regions;
  std::vector<double> first, last;
  std::vector<bool> balanced;
  for (const auto& [code, unit] : s.units) {
    codes.push_back(code);
    regions.push_back(unit.region);
    first.push_back(unit.first);
    last.push_back(unit.last);
    balanced.push_back(unit.balanced);
  }
  return {{"codes", codes}, {"regions", regions}, {"first", first},
          {"last", last},   {"balanced", balanced}, {"sigma", s.sigma}};
}

ConvergenceState convergence_state_from_json(const json& j) {
  ConvergenceState s;
  const auto codes = j.at("codes").get<std::vector<std::string>>();
  const auto regions = j.at("regions").get<std::vector<std::string>>();
  const auto first = j.at("first").get<std::vector<double>>();
  const auto last = j.at("last").get<std::vector<double>>();
  const auto balanced = j.at("balanced").get<std::vector<bool>>();
  j.at("sigma").get_to(s.sigma);
  const size_t n = codes.size();
  if (regions.size() != n || first.size() != n || last.size() != n || balanced.size() != n)
    throw std::runtime_error("convergence state of unequal lengths");
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && !(codes[i - 1] < codes[i])) throw std::runtime_error("convergence state's codes out of order");
    s.units.emplace_hint(s.units.end(), codes[i], UnitSummary{regions[i], first[i], last[i], balanced[i]});
    s.balanced += balanced[i];
  }
  return s;
}

}  // namespace nl
