// Convergence across releases (panel/convergence.csv and panel/growth_<level>.csv): per-unit
// annualised growth of brightness, σ-convergence per release and β-convergence by OLS with HC1
// standard errors and the implied speed λ, on the balanced panel of units valid in every release.
#pragma once
#include <string>
#include <vector>

#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/config.hpp"

namespace nl {

// Release id → time in years: "2014" → 2014, "2014-07" → 2014.5, "2014-07-16" → 2014.5 + 15/365.25.
double release_time_years(const std::string& id);

struct ConvergenceTables {
  std::string convergence_csv;  // rows of every level
  std::vector<std::pair<std::string, std::string>> growth_csv;  // (level, table)
};


// One release's units of a level, as convergence reads them from the release's typed levels
// record: brightness is mean_area (NaN where the unit is not included or has no valid cells),
// total light its sum_area (NaN likewise).
struct LevelValues {
  std::vector<std::string> codes, regions;  // regions empty: the level has no region column
  std::vector<double> brightness, total_light;
};
LevelValues level_values(const ReleaseLevels& record, const std::string& level, double min_valid_fraction);

// `values[r]` is release `ids[r]`'s units of `level`; ids are in release order. With `gdp`, the
// rows of the lights–GDP elasticity are added: ln GDP on ln total light (sum_area), pooled over
// releases (each release with its year's GDP), OLS with HC1.
ConvergenceTables convergence_tables(const std::string& level, const std::vector<std::string>& ids,
                                     const std::vector<LevelValues>& values, bool region_dummies,
                                     const GdpTable* gdp = nullptr);

std::string convergence_csv_header();

}  // namespace nl
