// A chart of numbers against numbers (not releases) in the charts' style: points (the
// β-convergence scatter), lines (a fitted line, Lorenz curves) and dashed lines (the line of
// equality), linear axes, a legend with extra lines of small print (β, its SE, λ).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/pictures/line_chart.hpp"

namespace nl {

struct XYSeries {
  enum Style { points, line, dashed } style = line;
  std::string name;
  std::vector<double> x, y;  // pairs with a NaN are skipped
  int colour = 0;            // index into chart_colour; -1: the text colour
};

struct XYChart {
  std::string title, x_label, y_label;
  std::vector<XYSeries> series;
  std::vector<std::string> notes;  // under the legend
  std::optional<std::pair<double, double>> x_range, y_range;  // fixed; else from the data
  ChartLayout layout;
};

void draw_xy_chart_png(const std::string& path, const XYChart& chart);

}  // namespace nl
