// The charts' shared style (see chart_style.hpp).
#include "pipeline/pictures/chart_style.hpp"

#include <cmath>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/pictures/map_render.hpp"

namespace nl::chart_style {

void set_colour(cairo_t* cr, Rgb c, double alpha) {
  cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
}

void text(cairo_t* cr, double x, double y, const std::string& s, double size, bool bold, double align) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  set_colour(cr, map_colours::text);
  cairo_move_to(cr, x - align * e.x_advance, y);
  cairo_show_text(cr, s.c_str());
}

double Axis::t(double v) const { return log ? (std::log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo); }

Axis value_axis(double lo, double hi, bool log, bool from_zero) {
  Axis a;
  a.log = log;
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = log ? 1 : 0, hi = log ? 10 : 1;
  if (log) {
    double d0 = std::floor(std::log10(lo)), d1 = std::ceil(std::log10(hi));
    if (d1 <= d0) d1 = d0 + 1;
    for (double d = d0; d <= d1; ++d)
      for (double m : {1.0, 2.0, 5.0})
        if ((m == 1 || d1 - d0 <= 2) && std::log10(m) + d <= d1) a.ticks.push_back(m * std::pow(10.0, d));
    a.lo = d0, a.hi = d1;
    return a;
  }
  if (from_zero && lo > 0) lo = 0;
  if (hi == lo) hi = lo + 1;
  const double raw = (hi - lo) / 5, p = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
  a.lo = std::floor(lo / step) * step, a.hi = std::ceil(hi / step) * step;
  for (double v = a.lo; v <= a.hi + step / 2; v += step) a.ticks.push_back(std::fabs(v) < step / 1e6 ? 0 : v);
  return a;
}

Canvas::Canvas(int width, int height)
    : surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)), cr_(cairo_create(surface_)) {
  set_colour(cr_, map_colours::background);
  cairo_paint(cr_);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void Canvas::save(const std::string& path) {
  cairo_surface_flush(surface_);
  const cairo_status_t status = cairo_surface_write_to_png(surface_, path.c_str());
  if (status != CAIRO_STATUS_SUCCESS)
    throw UserError(path + ": cannot write the chart (" + cairo_status_to_string(status) + ")");
}

void y_label(cairo_t* cr, double x, double top, double bottom, const std::string& s) {
  cairo_save(cr);
  cairo_translate(cr, x, (top + bottom) / 2);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, 0, 0, s, 14, false, 0.5);
  cairo_restore(cr);
}

void y_grid(cairo_t* cr, const Axis& y, double left, double right, double top, double bottom) {
  for (double v : y.ticks) {
    const double py = bottom - y.t(v) * (bottom - top);
    set_colour(cr, {255, 255, 255}, 0.12);
    cairo_move_to(cr, left, py), cairo_line_to(cr, right, py);
    cairo_stroke(cr);
    text(cr, left - 8, py + 5, break_label(v), 13, false, 1);
  }
}

}  // namespace nl::chart_style
