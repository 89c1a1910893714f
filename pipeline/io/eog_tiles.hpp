// EOG's monthly VIIRS composites come as six GeoTIFF tiles (75N180W, 75N060W, 75N060E north of
// the equator, 00N180W, 00N060W, 00N060E south of it): their names, their lattice, and a
// release's tiles read as one in-memory VRT mosaic on that lattice, like Black Marble's.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/black_marble.hpp"

namespace nl {

// "75N060E" -> column 2, row 0; nothing for any other text.
std::optional<TileId> parse_eog_tile(const std::string& text);
std::string eog_tile_name(TileId tile);
// A tile's nominal bounds: columns 120° wide from 180°W; rows 75°N-0 and 0-65°S.
struct LonLatBox {
  double west = 0, south = 0, east = 0, north = 0;
};
LonLatBox eog_tile_bounds(TileId tile);
// Tiles whose box meets the lon/lat box (edges touching only do not count).
std::vector<TileId> eog_tiles_meeting(double west, double south, double east, double north);

// The release's tiles as one VRT on EOG's lattice over the rectangle of `needed` tiles, whatever
// files are present (a missing tile never changes the grid; its cells are no data). The cell
// size and the sub-cell offset of the lattice (EOG's grid sits half a cell off whole degrees)
// come from the tiles, which must all agree and sit exactly on their tile of the lattice: no two
// tiles then share a cell, and a file that would overlap another is refused, naming it.
// A tile's `quality_path` (its cf_cvg raster) goes into a second mosaic, dropped below
// `quality_min_count`. Throws UserError naming the file.
void build_eog_mosaic(const std::vector<TileFile>& tiles, const std::vector<TileId>& needed,
                      double quality_min_count, const std::string& tag, TileMosaic& out);

}  // namespace nl
