// Charts of numbers against numbers (see xy_chart.hpp).
#include "pipeline/pictures/xy_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/pictures/chart_style.hpp"
#include "pipeline/pictures/map_render.hpp"

namespace nl {

namespace {

using namespace chart_style;

Axis axis(const XYChart& c, bool x) {
  const auto& fixed = x ? c.x_range : c.y_range;
  if (fixed) return value_axis(fixed->first, fixed->second, false, false);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : c.series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      const double v = x ? s.x[i] : s.y[i];
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  return value_axis(lo, hi, false, false);
}

void frame(cairo_t* cr, const XYChart& c, const Axis& ax, const Axis& ay) {
  const ChartLayout& l = c.layout;
  cairo_set_line_width(cr, 1);
  y_grid(cr, ay, l.left, l.right, l.top, l.bottom);
  for (double v : ax.ticks) {
    const double px = l.left + ax.t(v) * (l.right - l.left);
    set_colour(cr, {255, 255, 255}, 0.12);
    cairo_move_to(cr, px, l.top), cairo_line_to(cr, px, l.bottom);
    cairo_stroke(cr);
    text(cr, px, l.bottom + 22, break_label(v), 13, false, 0.5);
  }
  set_colour(cr, map_colours::text);
  cairo_rectangle(cr, l.left, l.top, l.right - l.left, l.bottom - l.top);
  cairo_stroke(cr);
  text(cr, (l.left + l.right) / 2, l.bottom + 50, c.x_label, 14, false, 0.5);
  y_label(cr, 28, l.top, l.bottom, c.y_label);
}

void legend_mark(cairo_t* cr, const XYSeries& s, double x, double y) {
  if (s.style == XYSeries::points) {
    cairo_arc(cr, x + 15, y, 4.5, 0, 2 * M_PI);
    cairo_fill(cr);
    return;
  }
  const double dash[] = {8, 6};
  cairo_set_dash(cr, dash, s.style == XYSeries::dashed ? 2 : 0, 0);
  cairo_move_to(cr, x, y), cairo_line_to(cr, x + 30, y);
  cairo_stroke(cr);
  cairo_set_dash(cr, dash, 0, 0);
}

}  // namespace

void draw_xy_chart_png(const std::string& path, const XYChart& c) {
  const ChartLayout& l = c.layout;
  Canvas canvas(l.width, l.height);
  cairo_t* cr = canvas.cr();
  text(cr, l.left, 40, c.title, 22, true);
  const Axis ax = axis(c, true), ay = axis(c, false);
  frame(cr, c, ax, ay);
  cairo_save(cr);
  cairo_rectangle(cr, l.left, l.top, l.right - l.left, l.bottom - l.top);
  cairo_clip(cr);
  for (const auto& s : c.series) {
    const Rgb col = s.colour < 0 ? map_colours::text : chart_colour(static_cast<size_t>(s.colour));
    set_colour(cr, col, s.style == XYSeries::points ? 0.85 : 1);
    cairo_set_line_width(cr, s.style == XYSeries::dashed ? 1.5 : 2.5);
    const double dash[] = {8, 6};
    cairo_set_dash(cr, dash, s.style == XYSeries::dashed ? 2 : 0, 0);
    bool pen = false;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double px = l.left + ax.t(s.x[i]) * (l.right - l.left), py = l.bottom - ay.t(s.y[i]) * (l.bottom - l.top);
      if (s.style == XYSeries::points) {  // large enough to see at 100 %, ringed where they overlap
        cairo_arc(cr, px, py, 4.5, 0, 2 * M_PI);
        cairo_fill_preserve(cr);
        set_colour(cr, map_colours::background, 0.8);
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
        set_colour(cr, col, 0.85);
      } else {
        pen ? cairo_line_to(cr, px, py) : cairo_move_to(cr, px, py);
        pen = true;
      }
    }
    if (pen) cairo_stroke(cr);
    cairo_set_dash(cr, dash, 0, 0);
  }
  cairo_restore(cr);
  double y = l.top + 14;
  for (const auto& s : c.series) {
    set_colour(cr, s.colour < 0 ? map_colours::text : chart_colour(static_cast<size_t>(s.colour)));
    cairo_set_line_width(cr, 2.5);
    legend_mark(cr, s, l.legend_left, y - 5);
    text(cr, l.legend_left + 40, y, s.name, 14);
    y += 28;
  }
  y += 10;
  for (const auto& n : c.notes) text(cr, l.legend_left, y, n, 13), y += 22;
  canvas.save(path);
}

}  // namespace nl
