// Line charts over releases with cairo (see line_chart.hpp).
#include "pipeline/pictures/line_chart.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/pictures/map_render.hpp"

namespace nl {

Rgb chart_colour(size_t i) {
  static const Rgb okabe_ito[] = {{230, 159, 0},  {86, 180, 233}, {0, 158, 115},  {240, 228, 66},
                                  {0, 114, 178},  {213, 94, 0},   {204, 121, 167}};
  return okabe_ito[i % 7];
}

namespace {

void colour(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0); }

void label(cairo_t* cr, double x, double y, const std::string& s, double size, bool bold = false, double align = 0) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  colour(cr, map_colours::text);
  cairo_move_to(cr, x - align * e.x_advance, y);
  cairo_show_text(cr, s.c_str());
}

struct YAxis {
  double lo, hi;
  bool log;
  double t(double v) const { return log ? (std::log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo); }
};

// The y range with a margin, and ticks: powers of ten (×2, ×5 when few decades) on a log axis,
// 1-2-5 steps from 0 (or below) on a linear one.
YAxis y_axis(const LineChart& c, std::vector<double>& ticks) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : c.series)
    for (double v : s.y)
      if (std::isfinite(v) && (!c.log_y || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = c.log_y ? 1 : 0, hi = c.log_y ? 10 : 1;
  if (c.log_y) {
    double a = std::floor(std::log10(lo)), b = std::ceil(std::log10(hi));
    if (b <= a) b = a + 1;
    for (double d = a; d <= b; ++d)
      for (double m : {1.0, 2.0, 5.0})
        if ((m == 1 || b - a <= 2) && std::log10(m) + d <= b) ticks.push_back(m * std::pow(10.0, d));
    return {a, b, true};
  }
  if (lo > 0) lo = 0;  // indices and shares read from 0, so a small change does not look large
  if (hi == lo) hi = lo + 1;
  const double raw = (hi - lo) / 5, p = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
  const double a = std::floor(lo / step) * step, b = std::ceil(hi / step) * step;
  for (double v = a; v <= b + step / 2; v += step) ticks.push_back(std::fabs(v) < step / 1e6 ? 0 : v);
  return {a, b, false};
}

void axes(cairo_t* cr, const LineChart& c, const ChartLayout& l, const YAxis& y, const std::vector<double>& ticks) {
  cairo_set_line_width(cr, 1);
  for (double v : ticks) {
    const double py = l.bottom - y.t(v) * (l.bottom - l.top);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.12);
    cairo_move_to(cr, l.left, py), cairo_line_to(cr, l.right, py);
    cairo_stroke(cr);
    label(cr, l.left - 8, py + 5, break_label(v), 13, false, 1);
  }
  colour(cr, map_colours::text);
  cairo_rectangle(cr, l.left, l.top, l.right - l.left, l.bottom - l.top);
  cairo_stroke(cr);
  const size_t n = c.x_labels.size();
  const size_t every = std::max<size_t>(1, n / 12);  // at most ~12 labels, so they never overlap
  for (size_t i = 0; i < n; i += every) {
    const double px = n == 1 ? (l.left + l.right) / 2 : l.left + (l.right - l.left) * i / (n - 1.0);
    label(cr, px, l.bottom + 22, c.x_labels[i], 13, false, 0.5);
  }
  label(cr, (l.left + l.right) / 2, l.bottom + 50, "release", 14, false, 0.5);
  cairo_save(cr);
  cairo_translate(cr, 28, (l.top + l.bottom) / 2);
  cairo_rotate(cr, -M_PI / 2);
  label(cr, 0, 0, c.y_label + (c.log_y ? " (log scale)" : ""), 14, false, 0.5);
  cairo_restore(cr);
}

void lines(cairo_t* cr, const LineChart& c, const ChartLayout& l, const YAxis& y) {
  const size_t n = c.x_labels.size();
  for (size_t s = 0; s < c.series.size(); ++s) {
    colour(cr, chart_colour(s));
    cairo_set_line_width(cr, 2.5);
    bool pen = false;
    for (size_t i = 0; i < n && i < c.series[s].y.size(); ++i) {
      const double v = c.series[s].y[i];
      if (!std::isfinite(v) || (c.log_y && v <= 0)) { pen = false; continue; }
      const double px = n == 1 ? (l.left + l.right) / 2 : l.left + (l.right - l.left) * i / (n - 1.0);
      const double py = l.bottom - y.t(v) * (l.bottom - l.top);
      pen ? cairo_line_to(cr, px, py) : cairo_move_to(cr, px, py);
      pen = true;
      if (n <= 40) {  // markers while releases are few enough to tell apart
        cairo_stroke(cr);
        cairo_arc(cr, px, py, 3.5, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_move_to(cr, px, py);
      }
    }
    cairo_stroke(cr);
    cairo_rectangle(cr, l.legend_left, l.top + 10 + 28 * s, 30, 4);
    cairo_fill(cr);
    label(cr, l.legend_left + 40, l.top + 17 + 28 * s, c.series[s].name, 14);
  }
}

}  // namespace

void draw_line_chart_png(const std::string& path, const LineChart& c, const ChartLayout& l) {
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, l.width, l.height);
  cairo_t* cr = cairo_create(surface);
  colour(cr, map_colours::background);
  cairo_paint(cr);
  label(cr, l.left, 40, c.title, 22, true);
  std::vector<double> ticks;
  const YAxis y = y_axis(c, ticks);
  axes(cr, c, l, y, ticks);
  lines(cr, c, l, y);
  if (c.x_labels.size() < 2)
    label(cr, l.left, 64, "one release so far: no time axis yet (the lines start at the next release)", 14);
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  const cairo_status_t status = cairo_surface_write_to_png(surface, path.c_str());
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    throw UserError(path + ": cannot write the chart (" + cairo_status_to_string(status) + ")");
}

}  // namespace nl
