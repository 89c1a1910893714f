// Charts over the panel's releases (OUT/panel/charts/), redrawn at every run from the panel and
// the latest release's tables: each compared group's brightness (log axis) with the reference's
// ratio to `gaps.west` below, the same for the Hu line's sides, Gini and Theil T with the
// between-group part shaded, σ-convergence, the β-convergence scatter of each convergence level,
// and the Lorenz curves of the latest release.
#pragma once
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"

namespace nl {

struct ChartEntry {
  std::string file;     // relative to OUT
  std::string title;    // short, for the report's heading
  std::string caption;  // what the picture shows, in a sentence or two
};

struct PanelChartList {
  std::vector<ChartEntry> drawn;
  std::vector<std::string> not_drawn;  // sentences: which chart and why (e.g. one release)
};

// Reads the stacked panel tables — the exception to "pictures come from memory": the run holds
// only the releases it processed, the panel exists as these tables (numbers written round-trip)
// — and draws into OUT/panel/charts/, emptied first so no chart outlives its data. A chart needing
// a time axis is not drawn with one release; the list says so instead.
PanelChartList draw_panel_charts(const std::string& out, const RunConfig& config);

// The two charts of the releases' distribution (distribution_charts.cpp).
void draw_beta_charts(const std::string& out, const RunConfig& config, size_t releases, PanelChartList& list);
void draw_lorenz_chart(const std::string& out, const RunConfig& config, const std::string& latest, PanelChartList& list);

}  // namespace nl
