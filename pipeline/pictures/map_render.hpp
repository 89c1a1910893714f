// Draws one choropleth map to PNG with cairo: filled units (hatched where left out), unit
// borders, a coarser level's outlines from member edges, the Hu line, graticule, scale bar,
// title and legend. Knows nothing of statistics: the caller gives each polygon its colour.
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

struct ChoroplethSpec {
  std::string title, subtitle;
  std::string legend_heading;
  std::vector<std::optional<Rgb>> fill;  // per polygon; nullopt: hatched (left out or no data)
  std::vector<LegendEntry> legend;       // top to bottom
  // From kernels/shared_edges: borders between different units, and a coarser level's outlines
  // (computed once per level, shared by its maps).
  std::vector<GridSegment> unit_borders;
  std::vector<GridSegment> outlines;
  std::vector<std::pair<double, double>> hu_line;  // projected metres (empty: none)
  const MapProjector* projector = nullptr;         // for the graticule (may be null)
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

void draw_choropleth_png(const std::string& path, const MapCanvas& canvas, const ChoroplethSpec& spec);

}  // namespace nl
