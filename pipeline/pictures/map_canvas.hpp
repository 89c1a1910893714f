// Where the projected zones land on a map image: the frame (projected metres → pixels) and every
// polygon's rings quantised to half a pixel. Quantising is the maps' simplification: it drops
// the vertices a picture cannot show yet keeps neighbours' shared edges identical, so outlines
// of provinces come from their counties' edges (kernels/shared_edges) without a polygon union.
#pragma once
#include <utility>
#include <vector>

#include "kernels/shared_edges.hpp"
#include "pipeline/pictures/map_shapes.hpp"

namespace nl {

struct MapLayout {
  int width = 1600, height = 1100;
  double map_left = 24, map_top = 84, map_right = 1250, map_bottom = 1076;  // the map's box
  double legend_left = 1275;
};

constexpr int kQuarterPixels = 2;  // grid units per pixel (half pixels: finer is not visible)

struct MapFrame {
  double scale = 1;           // pixels per metre
  double x0 = 0, y0 = 0;      // pixel of projected (0, 0): px = x0 + x·scale, py = y0 − y·scale
  std::pair<double, double> to_pixel(double x, double y) const { return {x0 + x * scale, y0 - y * scale}; }
};

// Fits the shapes' extent into the layout's map box, centred, aspect kept.
MapFrame fit_frame(const MapShapes& shapes, const MapLayout& layout);

// The South China Sea inset's box (pixels) at the map box's bottom right, and its own frame.
struct MapInset {
  bool present = false;
  double left = 0, top = 0, right = 0, bottom = 0;
  MapFrame frame;
};

struct MapCanvas {
  MapLayout layout;
  MapFrame frame;
  MapInset inset;
  std::vector<std::vector<GridRing>> rings;  // [polygon] in half pixels, repeated points dropped
  std::vector<EdgeSides> edges;              // every edge once, with its two polygons
};

MapCanvas make_canvas(const MapShapes& shapes, const MapLayout& layout = {});

}  // namespace nl
