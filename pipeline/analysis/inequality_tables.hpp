// Per-release inequality tables (Gini, CV, variance of logs, Theil T and L with their
// within/between decomposition, by region and by side of the Hu line) and the Hu line table.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "kernels/accumulator.hpp"
#include "pipeline/analysis/levels.hpp"

namespace nl {

std::string inequality_csv_header();

// Rows for one level and one grouping. Units of groups not in `compared` (e.g. `other`) are
// left out and counted; so are units below min_valid_fraction and, for logs and Theil, units
// without light. Without `population`: brightness (mean_area) per unit weighted by valid area,
// basis "area". With it (per unit, NaN where unknown): light per person (sum_area / population)
// weighted by population, basis "population"; units without a population are counted apart.
std::string inequality_rows(const std::string& release, const LevelUnits& units, const std::string& grouping,
                            const std::vector<std::string>& group_of_unit, const std::set<std::string>& compared,
                            double min_valid_fraction, const std::vector<double>* population = nullptr);

// Each unit's group: the group holding most of its finest units' valid area.
std::vector<std::string> majority_groups(const std::vector<LevelUnits>& levels, int base, int level,
                                         const std::vector<std::string>& group_of_base);

std::string hu_line_csv(const std::string& release, const std::string& shape, const ZoneAccumulator& east,
                        const ZoneAccumulator& west, int64_t units_east, int64_t units_west);

}  // namespace nl
