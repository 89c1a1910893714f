// The gap table in words, for the person at the end of a run: how much brighter each group is
// per km² than the `west` group, each group's share of the light and of the area, and how many
// units were left out. Numbers are rounded for reading; gaps.csv keeps full precision.
#pragma once
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"
#include "pipeline/analysis/levels.hpp"

namespace nl {

// One sentence per element, built from the in-memory table (never from the CSV written).
std::vector<std::string> gap_sentences(const GapTable& table, const GapsConfig& config, double min_valid_fraction);

// A ratio for reading: one decimal from 1 up (14.5, 6.0), two significant digits below (0.64).
std::string rounded_ratio(double ratio);

}  // namespace nl
