// Line charts over releases with cairo (see line_chart.hpp).
#include "pipeline/pictures/line_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/pictures/chart_style.hpp"
#include "pipeline/pictures/map_render.hpp"

namespace nl {

Rgb chart_colour(size_t i) {
  static const Rgb okabe_ito[] = {{230, 159, 0},  {86, 180, 233}, {0, 158, 115},  {240, 228, 66},
                                  {0, 114, 178},  {213, 94, 0},   {204, 121, 167}};
  return okabe_ito[i % 7];
}

namespace {

using namespace chart_style;

Axis y_axis(const LineChart& c) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : c.series)
    for (double v : s.y)
      if (std::isfinite(v) && (!c.log_y || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
  return value_axis(lo, hi, c.log_y, true);
}

double x_of(size_t i, size_t n, const ChartLayout& l) {
  return n == 1 ? (l.left + l.right) / 2 : l.left + (l.right - l.left) * i / (n - 1.0);
}

void axes(cairo_t* cr, const LineChart& c, const ChartLayout& l, const Axis& y, bool x_labels) {
  cairo_set_line_width(cr, 1);
  y_grid(cr, y, l.left, l.right, l.top, l.bottom);
  set_colour(cr, map_colours::text);
  cairo_rectangle(cr, l.left, l.top, l.right - l.left, l.bottom - l.top);
  cairo_stroke(cr);
  y_label(cr, 28, l.top, l.bottom, c.y_label + (c.log_y ? " (log scale)" : ""));
  if (!x_labels) return;
  const size_t n = c.x_labels.size();
  // At most ~10 labels 80 pixels apart, so 'YYYY-MM' ids never overlap.
  const size_t every = std::max<size_t>(1, (n + 9) / 10);
  for (size_t i = 0; i < n; i += every) text(cr, x_of(i, n, l), l.bottom + 22, c.x_labels[i], 13, false, 0.5);
  text(cr, (l.left + l.right) / 2, l.bottom + 50, "release", 14, false, 0.5);
}

// The line's runs of finite values as pixel points (a NaN breaks the line).
std::vector<std::vector<std::pair<double, double>>> runs(const LineChart& c, const ChartSeries& s, const ChartLayout& l,
                                                          const Axis& y) {
  std::vector<std::vector<std::pair<double, double>>> out(1);
  const size_t n = c.x_labels.size();
  for (size_t i = 0; i < n && i < s.y.size(); ++i) {
    const double v = s.y[i];
    if (!std::isfinite(v) || (c.log_y && v <= 0)) {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    out.back().emplace_back(x_of(i, n, l), l.bottom - y.t(v) * (l.bottom - l.top));
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

void lines(cairo_t* cr, const LineChart& c, const ChartLayout& l, const Axis& y) {
  const size_t n = c.x_labels.size();
  for (size_t s = 0; s < c.series.size(); ++s) {
    const ChartSeries& series = c.series[s];
    const Rgb col = chart_colour(series.colour >= 0 ? static_cast<size_t>(series.colour) : s);
    for (const auto& run : runs(c, series, l, y)) {
      if (series.fill_below && run.size() > 1) {
        cairo_move_to(cr, run.front().first, l.bottom);
        for (const auto& [px, py] : run) cairo_line_to(cr, px, py);
        cairo_line_to(cr, run.back().first, l.bottom);
        cairo_close_path(cr);
        set_colour(cr, col, 0.35);
        cairo_fill(cr);
      }
      // A shaded part is read by its band: a thin edge, no markers, so the total's line stands out.
      set_colour(cr, col, series.fill_below ? 0.8 : 1);
      cairo_set_line_width(cr, series.fill_below ? 1 : 2.5);
      for (size_t i = 0; i < run.size(); ++i)
        i ? cairo_line_to(cr, run[i].first, run[i].second) : cairo_move_to(cr, run[i].first, run[i].second);
      cairo_stroke(cr);
      if (n <= 40 && !series.fill_below)  // markers while releases are few enough to tell apart
        for (const auto& [px, py] : run) {
          cairo_arc(cr, px, py, 3.5, 0, 2 * M_PI);
          cairo_fill(cr);
        }
    }
    set_colour(cr, col, series.fill_below ? 0.6 : 1);
    cairo_rectangle(cr, l.legend_left, l.top + 10 + 28 * s, 30, series.fill_below ? 14 : 4);
    cairo_fill(cr);
    text(cr, l.legend_left + 40, l.top + 17 + 28 * s, series.name, 14);
  }
}

void draw_panel(cairo_t* cr, const LineChart& c, const ChartLayout& l, bool x_labels) {
  const Axis y = y_axis(c);
  axes(cr, c, l, y, x_labels);
  lines(cr, c, l, y);
}

}  // namespace

void draw_line_chart_png(const std::string& path, const LineChart& c, const ChartLayout& l) {
  Canvas canvas(l.width, l.height);
  text(canvas.cr(), l.left, 40, c.title, 22, true);
  draw_panel(canvas.cr(), c, l, true);
  if (c.x_labels.size() < 2)
    text(canvas.cr(), l.left, 64, "one release so far: no time axis yet (the lines start at the next release)", 14);
  canvas.save(path);
}

void draw_stacked_line_charts_png(const std::string& path, const std::vector<LineChart>& panels) {
  ChartLayout l;
  l.top = 80, l.bottom = 460;
  const double gap = 40, lower_height = 180;
  l.height = static_cast<int>(l.bottom + (panels.size() - 1) * (gap + lower_height) + 70);
  Canvas canvas(l.width, l.height);
  text(canvas.cr(), l.left, 40, panels.front().title, 22, true);
  for (size_t p = 0; p < panels.size(); ++p) {
    if (p) l.top = l.bottom + gap, l.bottom = l.top + lower_height;
    draw_panel(canvas.cr(), panels[p], l, p + 1 == panels.size());
  }
  canvas.save(path);
}

}  // namespace nl
