// Choropleth maps with cairo (see map_render.hpp). Fills are drawn without antialiasing so that
// neighbouring units of one colour leave no hairline seam and a unit's pixels carry exactly its
// class colour; lines and text are antialiased.
#include "pipeline/pictures/map_render.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace {

using Cairo = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void set_colour(cairo_t* cr, Rgb c, double alpha = 1) { cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha); }

void ring_path(cairo_t* cr, const GridRing& ring) {
  cairo_move_to(cr, ring[0].x / double(kQuarterPixels), ring[0].y / double(kQuarterPixels));
  for (size_t i = 1; i < ring.size(); ++i)
    cairo_line_to(cr, ring[i].x / double(kQuarterPixels), ring[i].y / double(kQuarterPixels));
  cairo_close_path(cr);
}

cairo_pattern_t* hatch_pattern() {
  cairo_surface_t* tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 8, 8);
  cairo_t* cr = cairo_create(tile);
  set_colour(cr, map_colours::hatch_base);
  cairo_paint(cr);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  set_colour(cr, map_colours::hatch_line);
  cairo_set_line_width(cr, 1.5);
  cairo_move_to(cr, -1, 9), cairo_line_to(cr, 9, -1);
  cairo_stroke(cr);
  cairo_destroy(cr);
  cairo_pattern_t* p = cairo_pattern_create_for_surface(tile);
  cairo_pattern_set_extend(p, CAIRO_EXTEND_REPEAT);
  cairo_surface_destroy(tile);
  return p;
}

void fill_units(cairo_t* cr, const MapCanvas& canvas, const ChoroplethSpec& spec) {
  cairo_save(cr);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_pattern_t* hatch = hatch_pattern();
  for (size_t p = 0; p < canvas.rings.size(); ++p) {
    if (canvas.rings[p].empty()) continue;
    for (const auto& ring : canvas.rings[p]) ring_path(cr, ring);
    if (spec.fill[p]) set_colour(cr, *spec.fill[p]);
    else cairo_set_source(cr, hatch);
    cairo_fill(cr);
  }
  cairo_pattern_destroy(hatch);
  cairo_restore(cr);
}

void stroke_segments(cairo_t* cr, const std::vector<GridSegment>& segments, Rgb colour, double alpha, double width) {
  cairo_save(cr);
  cairo_set_line_width(cr, width);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  set_colour(cr, colour, alpha);
  const double q = kQuarterPixels;
  // Edges come in ring order: consecutive ones chain into polylines, which cairo strokes far
  // faster than as many separate segments.
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    if (i == 0 || !(segments[i - 1].b == s.a)) cairo_move_to(cr, s.a.x / q, s.a.y / q);
    cairo_line_to(cr, s.b.x / q, s.b.y / q);
  }
  cairo_stroke(cr);
  cairo_restore(cr);
}

void text(cairo_t* cr, double x, double y, const std::string& s, double size, bool bold = false) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  set_colour(cr, map_colours::text);
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s.c_str());
}

// Meridians and parallels every 10°, faint, behind the units (no labels: the scale bar and the
// projection note say the rest).
void graticule(cairo_t* cr, const MapCanvas& canvas, const MapProjector& projector) {
  cairo_save(cr);
  const MapLayout& l = canvas.layout;
  cairo_rectangle(cr, l.map_left, l.map_top, l.map_right - l.map_left, l.map_bottom - l.map_top);
  cairo_clip(cr);
  cairo_set_line_width(cr, 0.6);
  set_colour(cr, {70, 76, 100});
  for (int lon = -180; lon <= 180; lon += 10) {
    bool first = true;
    for (int lat = -80; lat <= 80; ++lat) {
      const auto [x, y] = projector.project(lon, lat);
      if (std::isnan(x)) { first = true; continue; }
      const auto [px, py] = canvas.frame.to_pixel(x, y);
      first ? cairo_move_to(cr, px, py) : cairo_line_to(cr, px, py);
      first = false;
    }
  }
  for (int lat = -80; lat <= 80; lat += 10) {
    bool first = true;
    for (int lon = -180; lon <= 180; ++lon) {
      const auto [x, y] = projector.project(lon, lat);
      if (std::isnan(x)) { first = true; continue; }
      const auto [px, py] = canvas.frame.to_pixel(x, y);
      first ? cairo_move_to(cr, px, py) : cairo_line_to(cr, px, py);
      first = false;
    }
  }
  cairo_stroke(cr);
  cairo_restore(cr);
}

// A bar of a round length near a fifth of the map's width, at the map's bottom left.
void scale_bar(cairo_t* cr, const MapCanvas& canvas) {
  const MapLayout& l = canvas.layout;
  const double target_km = (l.map_right - l.map_left) / 5 / canvas.frame.scale / 1000;
  const double p = std::pow(10.0, std::floor(std::log10(target_km)));
  const double km = target_km >= 5 * p ? 5 * p : target_km >= 2 * p ? 2 * p : p;
  const double px = km * 1000 * canvas.frame.scale;
  const double x = l.map_left + 10, y = l.map_bottom - 14;
  cairo_save(cr);
  set_colour(cr, map_colours::text);
  cairo_set_line_width(cr, 2);
  cairo_move_to(cr, x, y - 5), cairo_line_to(cr, x, y), cairo_line_to(cr, x + px, y), cairo_line_to(cr, x + px, y - 5);
  cairo_stroke(cr);
  char label[64];
  std::snprintf(label, sizeof label, "%g km", km);
  text(cr, x + px + 8, y + 4, label, 14);
  cairo_restore(cr);
}

void hu_line(cairo_t* cr, const MapCanvas& canvas, const std::vector<std::pair<double, double>>& line) {
  cairo_save(cr);
  const MapLayout& l = canvas.layout;
  cairo_rectangle(cr, l.map_left, l.map_top, l.map_right - l.map_left, l.map_bottom - l.map_top);
  cairo_clip(cr);
  const double dash[] = {10, 6};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_set_line_width(cr, 2.5);
  set_colour(cr, map_colours::hu_line);
  bool first = true;
  for (const auto& [x, y] : line) {
    if (std::isnan(x)) continue;
    const auto [px, py] = canvas.frame.to_pixel(x, y);
    first ? cairo_move_to(cr, px, py) : cairo_line_to(cr, px, py);
    first = false;
  }
  cairo_stroke(cr);
  cairo_restore(cr);
}

// The inset's box over the graticule, framed and named, with its scale against the main map's.
void inset_box(cairo_t* cr, const MapCanvas& canvas) {
  const MapInset& b = canvas.inset;
  cairo_save(cr);
  cairo_rectangle(cr, b.left, b.top, b.right - b.left, b.bottom - b.top);
  set_colour(cr, map_colours::background);
  cairo_fill_preserve(cr);
  cairo_set_line_width(cr, 1);
  set_colour(cr, map_colours::hatch_line);
  cairo_stroke(cr);
  char label[96];
  std::snprintf(label, sizeof label, "South China Sea islands (scale \u00d7%.2g)", b.frame.scale / canvas.frame.scale);
  text(cr, b.left + 6, b.top + 16, label, 11);
  cairo_restore(cr);
}

void legend(cairo_t* cr, const MapLayout& l, const ChoroplethSpec& spec) {
  double y = l.map_top + 10;
  text(cr, l.legend_left, y, spec.legend_heading, 15, true);
  y += 22;
  cairo_pattern_t* hatch = hatch_pattern();
  for (const auto& e : spec.legend) {
    const double x = l.legend_left;
    cairo_save(cr);
    if (e.kind == LegendEntry::swatch || e.kind == LegendEntry::hatch) {
      cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
      cairo_rectangle(cr, x, y, 34, 22);
      if (e.kind == LegendEntry::swatch) set_colour(cr, e.colour);
      else cairo_set_source(cr, hatch);
      cairo_fill(cr);
    } else {
      if (e.kind == LegendEntry::dashed_line) {
        const double dash[] = {10, 6};
        cairo_set_dash(cr, dash, 2, 0);
      }
      cairo_set_line_width(cr, e.kind == LegendEntry::dashed_line ? 2.5 : 1.6);
      set_colour(cr, e.colour);
      cairo_move_to(cr, x, y + 11), cairo_line_to(cr, x + 34, y + 11);
      cairo_stroke(cr);
    }
    cairo_restore(cr);
    text(cr, x + 44, y + 16, e.label, 14);
    y += 28;
  }
  cairo_pattern_destroy(hatch);
  y += 10;
  for (const auto& n : spec.notes) {
    text(cr, l.legend_left, y, n, 12);
    y += 18;
  }
}

}  // namespace

namespace {

// Draws with `draw` on a fresh image surface of `format` and hands back its bytes and stride.
template <class Draw>
std::vector<unsigned char> drawn_bytes(cairo_format_t format, int width, int height, int& stride, Draw draw) {
  cairo_surface_t* surface = cairo_image_surface_create(format, width, height);
  Cairo cr(cairo_create(surface), cairo_destroy);
  draw(cr.get());
  cr.reset();
  cairo_surface_flush(surface);
  stride = cairo_image_surface_get_stride(surface);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  std::vector<unsigned char> bytes(data, data + static_cast<size_t>(stride) * height);
  cairo_surface_destroy(surface);
  return bytes;
}

}  // namespace

StrokeMask stroke_mask(const MapLayout& layout, const std::vector<GridSegment>& segments, double line_width) {
  StrokeMask m{layout.width, layout.height, 0, {}};
  m.coverage = drawn_bytes(CAIRO_FORMAT_A8, layout.width, layout.height, m.stride, [&](cairo_t* cr) {
    stroke_segments(cr, segments, {0, 0, 0}, 1, line_width);
  });
  return m;
}

MapBackdrop map_backdrop(const MapCanvas& canvas, const MapProjector* projector) {
  const MapLayout& l = canvas.layout;
  MapBackdrop b{l.width, l.height, 0, {}};
  b.pixels = drawn_bytes(CAIRO_FORMAT_RGB24, l.width, l.height, b.stride, [&](cairo_t* cr) {
    set_colour(cr, map_colours::background);
    cairo_paint(cr);
    if (projector) graticule(cr, canvas, *projector);
    if (canvas.inset.present) inset_box(cr, canvas);
  });
  return b;
}

namespace {

// Composites `colour` at `alpha` through a stroke's coverage. The mask's bytes are wrapped in a
// surface of this call's own (cairo and pixman count references without locks, so threads must
// not share one surface object; sharing the bytes read-only is safe).
void composite_mask(cairo_t* cr, const StrokeMask& mask, Rgb colour, double alpha) {
  cairo_surface_t* m = cairo_image_surface_create_for_data(const_cast<unsigned char*>(mask.coverage.data()),
                                                           CAIRO_FORMAT_A8, mask.width, mask.height, mask.stride);
  cairo_save(cr);
  set_colour(cr, colour, alpha);
  cairo_mask_surface(cr, m, 0, 0);
  cairo_restore(cr);
  cairo_surface_destroy(m);
}

}  // namespace

void draw_choropleth_png(const std::string& path, const MapCanvas& canvas, const MapBackdrop& backdrop,
                         const ChoroplethSpec& spec) {
  const MapLayout& l = canvas.layout;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, l.width, l.height);
  cairo_surface_flush(surface);
  if (cairo_image_surface_get_stride(surface) != backdrop.stride || l.height != backdrop.height)
    throw std::logic_error("maps: the backdrop is not of this canvas's size");
  std::copy(backdrop.pixels.begin(), backdrop.pixels.end(), cairo_image_surface_get_data(surface));
  cairo_surface_mark_dirty(surface);
  Cairo cr(cairo_create(surface), cairo_destroy);
  fill_units(cr.get(), canvas, spec);
  if (spec.unit_borders) composite_mask(cr.get(), *spec.unit_borders, {0, 0, 0}, 0.45);
  if (spec.outlines) composite_mask(cr.get(), *spec.outlines, map_colours::outline, 0.85);
  if (!spec.hu_line.empty()) hu_line(cr.get(), canvas, spec.hu_line);
  scale_bar(cr.get(), canvas);
  text(cr.get(), l.map_left, 36, spec.title, 24, true);
  text(cr.get(), l.map_left, 64, spec.subtitle, 15);
  legend(cr.get(), l, spec);
  cairo_surface_flush(surface);
  const cairo_status_t status = cairo_surface_write_to_png(surface, path.c_str());
  cr.reset();
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    throw UserError(path + ": cannot write the map (" + cairo_status_to_string(status) + ")");
}

}  // namespace nl
