// The map frame and the quarter-pixel rings (see map_canvas.hpp).
#include "pipeline/pictures/map_canvas.hpp"

#include <algorithm>
#include <cmath>

namespace nl {

namespace {

// The extent fitted into a box, centred, aspect kept.
MapFrame fit(const MapExtent& e, double left, double top, double right, double bottom) {
  const double w = std::max(e.x_max - e.x_min, 1.0), h = std::max(e.y_max - e.y_min, 1.0);
  MapFrame f;
  f.scale = std::min((right - left) / w, (bottom - top) / h);
  const double cx = (e.x_min + e.x_max) / 2, cy = (e.y_min + e.y_max) / 2;
  f.x0 = (left + right) / 2 - cx * f.scale;
  f.y0 = (top + bottom) / 2 + cy * f.scale;
  return f;
}

}  // namespace

MapFrame fit_frame(const MapShapes& s, const MapLayout& l) {
  return fit({s.x_min, s.y_min, s.x_max, s.y_max}, l.map_left, l.map_top, l.map_right, l.map_bottom);
}

MapCanvas make_canvas(const MapShapes& shapes, const MapLayout& layout) {
  MapCanvas c{layout, fit_frame(shapes, layout), {}, {}, {}};
  if (shapes.has_inset) {
    // In the legend's column, under the legend: the main map's box keeps all its room and no
    // coast lies under the inset (a box at the map's bottom right covered Taiwan).
    const double pad = 8, w = layout.width - 24 - layout.legend_left;
    const MapExtent& e = shapes.inset;
    const double h = std::min(w * (e.y_max - e.y_min) / std::max(e.x_max - e.x_min, 1.0), (layout.map_bottom - layout.map_top) * 0.42);
    c.inset = {true, layout.legend_left, layout.map_bottom - h - 2 * pad - 18, layout.width - 24.0, layout.map_bottom, {}};
    c.inset.frame = fit(e, c.inset.left + pad, c.inset.top + pad + 18, c.inset.right - pad, c.inset.bottom - pad);
  }
  c.rings.resize(shapes.rings.size());
  for (size_t p = 0; p < shapes.rings.size(); ++p)
    for (size_t k = 0; k < shapes.rings[p].size(); ++k) {
      const MapFrame& frame = shapes.has_inset && shapes.in_inset[p][k] ? c.inset.frame : c.frame;
      GridRing g;
      for (const auto& [x, y] : shapes.rings[p][k]) {
        if (std::isnan(x) || std::isnan(y)) continue;
        const auto [px, py] = frame.to_pixel(x, y);
        const GridPoint q{static_cast<int32_t>(std::lround(px * kQuarterPixels)),
                          static_cast<int32_t>(std::lround(py * kQuarterPixels))};
        if (g.empty() || !(g.back() == q)) g.push_back(q);
      }
      while (g.size() > 1 && g.front() == g.back()) g.pop_back();
      if (g.size() >= 3) c.rings[p].push_back(std::move(g));
    }
  c.edges = edge_table(c.rings);
  return c;
}

}  // namespace nl
