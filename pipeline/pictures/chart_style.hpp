// One style for every chart (dark background, DejaVu Sans, Okabe–Ito colours) and the pieces
// the line, scatter and Lorenz charts share: text, value axes with round ticks, the PNG writer.
#pragma once
#include <cairo.h>

#include <string>
#include <vector>

#include "kernels/colour_scale.hpp"

namespace nl::chart_style {

void set_colour(cairo_t* cr, Rgb c, double alpha = 1);

// Text at (x, y) baseline; align 0 left, 0.5 centred, 1 right.
void text(cairo_t* cr, double x, double y, const std::string& s, double size, bool bold = false, double align = 0);

// A value axis over [lo, hi]: log (powers of ten, ×2 and ×5 when few decades) or linear (1-2-5
// steps; from 0 when `from_zero` and the values are positive, so small changes do not look large).
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;
  double t(double v) const;  // 0 at lo, 1 at hi
};
Axis value_axis(double lo, double hi, bool log, bool from_zero);

// A chart image: RGB24 surface painted with the background; save() writes the PNG (cairo writes
// no time into it, so the same drawing gives the same bytes).
class Canvas {
 public:
  Canvas(int width, int height);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;
  cairo_t* cr() const { return cr_; }
  void save(const std::string& path);

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

// Horizontal grid lines at the axis' ticks across [left, right], each labelled at its left.
void y_grid(cairo_t* cr, const Axis& y, double left, double right, double top, double bottom);

// The y-axis label, rotated, centred on [top, bottom] at x.
void y_label(cairo_t* cr, double x, double top, double bottom, const std::string& s);

}  // namespace nl::chart_style
