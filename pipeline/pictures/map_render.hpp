// Draws one choropleth map to PNG with cairo: filled units (hatched where left out), unit
// borders, a coarser level's outlines from member edges, the Hu line, graticule, scale bar,
// title and legend. Knows nothing of statistics: the caller gives each polygon its colour.
// What every map of a zone layer shares is drawn once per run, not once per map: the backdrop
// (background, graticule, the inset's box) and each set of borders' coverage (StrokeMask).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/colour_scale.hpp"
#include "pipeline/pictures/map_canvas.hpp"

namespace nl {

struct LegendEntry {
  enum Kind { swatch, hatch, line, dashed_line } kind = swatch;
  Rgb colour;
  std::string label;
};

// A stroke's coverage (A8 bytes: 0 none … 255 full), rendered once and composited into every
// map that draws those lines. Stroking the 235,000 county edges takes ~0.5 s, compositing its
// coverage ~10 ms, and the pixels are the same: cairo strokes by compositing the source OVER
// through exactly this coverage (checked to the byte on the China DMSP maps).
struct StrokeMask {
  int width = 0, height = 0, stride = 0;
  std::vector<unsigned char> coverage;
};
StrokeMask stroke_mask(const MapLayout& layout, const std::vector<GridSegment>& segments, double line_width);

// The strokes every map draws over its units.
inline constexpr double kBorderWidth = 0.5;   // between units, black at 45 %
inline constexpr double kOutlineWidth = 1.1;  // a coarser level's outlines

// What lies under every map of one zone layer (RGB24 bytes): the background, the graticule
// (when a projector is given) and the inset's box.
struct MapBackdrop {
  int width = 0, height = 0, stride = 0;
  std::vector<unsigned char> pixels;
};
MapBackdrop map_backdrop(const MapCanvas& canvas, const MapProjector* projector);

struct ChoroplethSpec {
  std::string title, subtitle;
  std::string legend_heading;
  std::vector<std::optional<Rgb>> fill;  // per polygon; nullopt: hatched (left out or no data)
  std::vector<LegendEntry> legend;       // top to bottom
  // Coverage of the borders between different units (kBorderWidth) and of a coarser level's
  // outlines (kOutlineWidth), from kernels/shared_edges; null: none. Made once per run.
  const StrokeMask* unit_borders = nullptr;
  const StrokeMask* outlines = nullptr;
  std::vector<std::pair<double, double>> hu_line;  // projected metres (empty: none)
  std::vector<std::string> notes;                  // small print under the legend
};

// Colours every map shares, so the tests and the legend know them.
namespace map_colours {
inline constexpr Rgb background{12, 14, 24};
inline constexpr Rgb zero{58, 62, 72};        // unlit units: grey, darker than every class
inline constexpr Rgb negative{18, 96, 96};    // negative brightness (products with negatives)
inline constexpr Rgb hatch_base{26, 28, 38};
inline constexpr Rgb hatch_line{150, 150, 160};
inline constexpr Rgb outline{225, 225, 235};
inline constexpr Rgb hu_line{80, 220, 255};
inline constexpr Rgb text{235, 235, 240};
}  // namespace map_colours

// Safe to call from several threads at once with the same canvas, backdrop and masks (read only).
void draw_choropleth_png(const std::string& path, const MapCanvas& canvas, const MapBackdrop& backdrop,
                         const ChoroplethSpec& spec);

}  // namespace nl
