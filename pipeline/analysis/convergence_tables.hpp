// Convergence across releases (panel/convergence.csv and panel/growth_<level>.csv): per-unit
// annualised growth of brightness, σ-convergence per release and β-convergence by OLS with HC1
// standard errors and the implied speed λ, on the balanced panel of units valid in every release.
#pragma once
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"

namespace nl {

// Release id → time in years: "2014" → 2014, "2014-07" → 2014.5, "2014-07-16" → 2014.5 + 15/365.25.
double release_time_years(const std::string& id);

struct ConvergenceTables {
  std::string convergence_csv;  // rows of every level
  std::vector<std::pair<std::string, std::string>> growth_csv;  // (level, table)
};


// `tables[r]` is release `ids[r]`'s level table as written (with code, included, mean_area and,
// when known, region and sum_area columns); ids are in release order. With `gdp`, the rows of the
// lights–GDP elasticity are added: ln GDP on ln total light (sum_area), pooled over releases
// (each release with its year's GDP), OLS with HC1.
ConvergenceTables convergence_tables(const std::string& level, const std::vector<std::string>& ids,
                                     const std::vector<std::string>& tables, bool region_dummies,
                                     const GdpTable* gdp = nullptr);

std::string convergence_csv_header();

}  // namespace nl
