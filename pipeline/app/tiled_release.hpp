// A tiled release (Black Marble HDF5 tiles, EOG GeoTIFF tiles) opened as one mosaic for the
// batch run: the tiles the zones need, found once per run on the release's lattice, the
// product's mosaic builder, and the rule for missing tiles.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/black_marble.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/releases.hpp"

namespace nl {

// The tiles the zones need, per lattice, remembered across the releases of one run.
struct NeededTiles {
  std::optional<std::vector<TileId>> black_marble, eog;
};

// Builds `mosaic` for `release` (whose `tiles` are not empty). Throws UserError naming the file,
// or when needed tiles are missing and releases.missing_tiles is 'fail'.
void open_tiled_release(const RunConfig& config, const ReleaseFile& release, NeededTiles& needed, TileMosaic& mosaic);

// Every input file of a tiled release with its role, in tile order: "tile 75N060E" and, with a
// quality raster per tile, "quality 75N060E" after it. The manifest stamps them all, so a late
// or re-processed tile (or its cf_cvg) redoes the release.
std::vector<std::pair<std::string, std::string>> tiled_release_inputs(const ReleaseFile& release);

// "h30v06, h31v06"
std::string tile_names(const std::vector<TileId>& tiles);

}  // namespace nl
