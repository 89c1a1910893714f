// What convergence keeps of a level between runs: each unit's first and latest brightness, whether
// it is in the balanced panel, and σ of every release. It is built from every release's values at
// once, or grown by one new release in O(units), which is what lets a daily run add a release
// without re-reading the history (app/convergence_store keeps it on disk).
#pragma once
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/analysis/release_levels.hpp"

namespace nl {

// One release's units of a level, as convergence reads them from the release's typed levels
// record: brightness is mean_area (NaN where the unit is not included or has no valid cells),
// total light its sum_area (NaN likewise).
struct LevelValues {
  std::vector<std::string> codes, regions;  // regions empty: the level has no region column
  std::vector<double> brightness, total_light;
};
LevelValues level_values(const ReleaseLevels& record, const std::string& level, double min_valid_fraction);

struct UnitSummary {
  std::string region;     // from the latest release holding the unit with a region column
  double first = NAN;     // brightness in the first release (NaN: the unit is not in it)
  double last = NAN;      // brightness in the latest release (NaN: not in it)
  bool balanced = false;  // brightness > 0 in every release so far
};

struct ConvergenceState {
  std::map<std::string, UnitSummary> units;  // every unit of any release, by code: the tables' order
  std::vector<double> sigma;                 // [release]: sd of ln brightness over the balanced units
  size_t balanced = 0;                       // units with `balanced`
};

// The state of releases `values` (in release order), all at once.
ConvergenceState convergence_state(const std::vector<LevelValues>& values);

// Adds the release after the last one. False, with `state` untouched, when a unit of the
// balanced panel is missing or not valid in it: the panel shrinks, so σ of every earlier release
// changes and the caller must rebuild from all the values (convergence_state).
bool append_release(ConvergenceState& state, const LevelValues& values);

// σ of one release: the population standard deviation of `logs` (NaN when empty).
double sd_of_logs(const std::vector<double>& logs);

// Exact round trips through JSON (stored as CBOR, so every double keeps its bits). Reading
// checks the shape and throws std::exception on anything inconsistent.
nlohmann::json level_values_json(const LevelValues& v);
LevelValues level_values_from_json(const nlohmann::json& j);
nlohmann::json convergence_state_json(const ConvergenceState& s);
ConvergenceState convergence_state_from_json(const nlohmann::json& j);

}  // namespace nl
