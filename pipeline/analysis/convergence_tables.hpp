// Convergence across releases (panel/convergence.csv and panel/growth_<level>.csv): per-unit
// annualised growth of brightness, σ-convergence per release and β-convergence by OLS with HC1
// standard errors and the implied speed λ, on the balanced panel of units valid in every release.
#pragma once
#include <string>
#include <vector>

#include "pipeline/analysis/convergence_state.hpp"
#include "pipeline/io/config.hpp"

namespace nl {

// Release id → time in years: "2014" → 2014, "2014-07" → 2014.5, "2014-07-16" → 2014.5 + 15/365.25.
double release_time_years(const std::string& id);

struct ConvergenceTables {
  std::string convergence_csv;  // rows of every level
  std::vector<std::pair<std::string, std::string>> growth_csv;  // (level, table)
};


// `values[r]` is release `ids[r]`'s units of `level`; ids are in release order. With `gdp`, the
// rows of the lights–GDP elasticity are added: ln GDP on ln total light (sum_area), pooled over
// releases (each release with its year's GDP), OLS with HC1.
ConvergenceTables convergence_tables(const std::string& level, const std::vector<std::string>& ids,
                                     const std::vector<LevelValues>& values, bool region_dummies,
                                     const GdpTable* gdp = nullptr);

// The same tables from a level's state (convergence_state or append_release over `ids`): what a
// run that adds one release computes without the history's values. `values` (every release's,
// as above) is read only with `gdp`: the elasticity pools every (unit, release) pair.
ConvergenceTables convergence_tables(const std::string& level, const std::vector<std::string>& ids,
                                     const ConvergenceState& state, bool region_dummies, const GdpTable* gdp,
                                     const std::vector<LevelValues>* values);

std::string convergence_csv_header();

}  // namespace nl
