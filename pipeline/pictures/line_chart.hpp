// A line chart over releases with cairo, in the maps' style (dark background, DejaVu Sans):
// one line per series, a linear or log y axis with round ticks, release ids along x, a legend.
#pragma once
#include <string>
#include <vector>

#include "kernels/colour_scale.hpp"

namespace nl {

struct ChartSeries {
  std::string name;
  std::vector<double> y;  // one per release; NaN: a gap in the line
};

struct LineChart {
  std::string title, y_label;
  std::vector<std::string> x_labels;  // release ids
  std::vector<ChartSeries> series;
  bool log_y = false;
};

struct ChartLayout {
  int width = 1200, height = 700;
  double left = 100, top = 80, right = 900, bottom = 600;  // the plot box
  double legend_left = 930;
};

// Okabe–Ito colours (distinguishable with every common colour-vision deficiency), in series order.
Rgb chart_colour(size_t series);

void draw_line_chart_png(const std::string& path, const LineChart& chart, const ChartLayout& layout = {});

}  // namespace nl
