// NASA Black Marble (VNP46A1-A4, VJ146*, VJ246*) HDF5 tiles: tile ids and their exact 10° lattice,
// file checks before GDAL sees a file, layer defaults, and a release's tiles read as one
// in-memory VRT mosaic on the product lattice (missing tiles are nodata, never zeros).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kernels/grid.hpp"
#include "pipeline/io/raster_source.hpp"

namespace nl {

// The lattices tiled products come on: Black Marble's 36 x 18 tiles of 10°, and EOG's six
// monthly tiles (pipeline/io/eog_tiles.hpp).
enum class TileLattice { black_marble, eog };

struct TileId {
  int h = 0, v = 0;  // column and row of the lattice, from the west and the north
  TileLattice lattice = TileLattice::black_marble;
  std::string name() const;  // "h29v05", or EOG's "75N060E"
  auto operator<=>(const TileId&) const = default;
};

// "h29v05" (h 00-35, v 00-17), one of EOG's six ("75N060E"), or nothing.
std::optional<TileId> parse_tile_id(const std::string& text);
// A tile's grid: west = -180 + 10h, north = 90 - 10v, 2400 x 2400 cells of 1/240°.
GridGeometry black_marble_tile_grid(TileId tile);
// Tiles whose 10° square meets the lon/lat box (edges touching only do not count).
std::vector<TileId> tiles_meeting(double west, double south, double east, double north);

// A zone layer whose features decide which tiles a release needs.
struct ZoneExtentSource {
  std::string path, layer;  // layer empty: the first
  std::string assume_crs;   // when the layer has none; empty: lon/lat
  double pad_degrees = 0;   // e.g. for GCJ-02 coordinates, moved up to ~0.007° by the datum shift
};
// Tiles of `lattice` meeting some feature's envelope (in lon/lat): the tiles the zones need.
std::vector<TileId> tiles_needed_by_zones(const std::vector<ZoneExtentSource>& layers,
                                          TileLattice lattice = TileLattice::black_marble);

// `releases.product: black-marble` settings.
struct BlackMarbleConfig {
  bool enabled = false;
  std::string layer;               // empty: the product's default layer
  bool quality = false;            // releases.quality given: drop cells whose flag is not kept
  std::string quality_layer;       // empty: A2 Mandatory_Quality_Flag, A3/A4 <layer>_Quality
  std::vector<int> keep;           // quality values kept (fill only if listed)
  std::string collection;          // e.g. "002": only files of that collection
  bool fail_on_missing = false;    // releases.missing_tiles: fail
};

// "VNP46A3" from "VNP46A3.A2020001.h29v05.002.2021125004436.h5"; empty when the name is not a
// Black Marble one.
std::string black_marble_product(const std::string& file_name);
// The usual radiance layer of a product ("VNP46A2" -> Gap_Filled_DNB_BRDF-Corrected_NTL).
std::string black_marble_default_layer(const std::string& product);
// The usual quality layer of a product for its radiance layer (A2 Mandatory_Quality_Flag,
// A3/A4 <layer>_Quality); empty for A1, which has none.
std::string black_marble_default_quality_layer(const std::string& product, const std::string& layer);
// The release id format of a product's period: A3 "{year}-{month}", A4 "{year}", else daily.
std::string black_marble_id_format(const std::string& product);

// Throws UserError naming the file when it is not an HDF5 file (showing how it starts: an
// HTML page is a failed download) or shorter than its superblock's end-of-file address.
void check_hdf5_file(const std::string& path);

struct TileFile {
  TileId tile;
  std::string path;
  std::string quality_path = {};  // a GeoTIFF tile's quality raster (EOG's cf_cvg), else empty
};

// A tiled release read as one raster (Black Marble HDF5 or EOG GeoTIFF tiles).
struct TileMosaic {
  std::string radiance_vrt;  // /vsimem/ paths, removed by the destructor
  std::string quality_vrt;   // empty without a quality layer or raster
  double quality_min_count = 1;  // quality cells below this are dropped (a keep LUT gives 0 or 1)
  std::vector<MosaicPart> radiance_parts, quality_parts;
  std::vector<TileId> missing;  // needed tiles with no file
  size_t needed = 0;
  TileMosaic() = default;
  TileMosaic(const TileMosaic&) = delete;
  TileMosaic& operator=(const TileMosaic&) = delete;
  ~TileMosaic();
};
using BlackMarbleMosaic = TileMosaic;

// The release's tiles as VRTs on the lattice spanned by `needed` (whatever files are present,
// so a missing tile never changes the grid). Each tile is checked (signature, size, tile
// attributes, layer); scale, offset and fill come from the layer's own attributes and must
// agree across tiles. Throws UserError naming the file.
void build_black_marble_mosaic(const std::vector<TileFile>& tiles, const std::vector<TileId>& needed,
                               const BlackMarbleConfig& config, const std::string& tag, BlackMarbleMosaic& out);

}  // namespace nl
