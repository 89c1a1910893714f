// Charts over the panel's releases (OUT/panel/charts/), redrawn at every run: each compared
// group's brightness (log axis), and Gini and Theil T of the first inequality level.
#pragma once
#include <string>

#include "pipeline/io/config.hpp"

namespace nl {

// Reads OUT/panel/gaps.csv and inequality.csv — the exception to "pictures come from memory":
// the run holds only the releases it processed, the panel exists as these stacked tables — and
// draws the charts into OUT/panel/charts/. Charts whose table is absent are skipped.
void draw_panel_charts(const std::string& out, const RunConfig& config);

}  // namespace nl
