// A line chart over releases with cairo, in the charts' one style (chart_style): one line per
// series, a linear or log y axis with round ticks, release ids along x, a legend; several panels
// may share the x axis (a ratio under the levels), and a series may be shaded down to the axis
// (a part of the line above it, e.g. the between-group part of Theil T).
#pragma once
#include <string>
#include <vector>

#include "kernels/colour_scale.hpp"

namespace nl {

struct ChartSeries {
  std::string name;
  std::vector<double> y;  // one per release; NaN: a gap in the line
  bool fill_below = false;  // shade from the line down to the axis
  int colour = -1;          // index into chart_colour; -1: the series' position
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

// Panels stacked top to bottom over the same releases: the first (with the title) 380 pixels
// high, each further one 180; release ids under the last. Every panel's x_labels must be equal.
void draw_stacked_line_charts_png(const std::string& path, const std::vector<LineChart>& panels);

}  // namespace nl
