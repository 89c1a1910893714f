// The map frame and the quarter-pixel rings (see map_canvas.hpp).
#include "pipeline/pictures/map_canvas.hpp"

#include <algorithm>
#include <cmath>

namespace nl {

MapFrame fit_frame(const MapShapes& s, const MapLayout& l) {
  const double w = std::max(s.x_max - s.x_min, 1.0), h = std::max(s.y_max - s.y_min, 1.0);
  const double bw = l.map_right - l.map_left, bh = l.map_bottom - l.map_top;
  MapFrame f;
  f.scale = std::min(bw / w, bh / h);
  const double cx = (s.x_min + s.x_max) / 2, cy = (s.y_min + s.y_max) / 2;
  f.x0 = (l.map_left + l.map_right) / 2 - cx * f.scale;
  f.y0 = (l.map_top + l.map_bottom) / 2 + cy * f.scale;
  return f;
}

MapCanvas make_canvas(const MapShapes& shapes, const MapLayout& layout) {
  MapCanvas c{layout, fit_frame(shapes, layout), {}, {}};
  c.rings.resize(shapes.rings.size());
  for (size_t p = 0; p < shapes.rings.size(); ++p)
    for (const auto& ring : shapes.rings[p]) {
      GridRing g;
      for (const auto& [x, y] : ring) {
        if (std::isnan(x) || std::isnan(y)) continue;
        const auto [px, py] = c.frame.to_pixel(x, y);
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
