// A zone layer's geometry as the maps draw it — feature ids, the Albers projection and the
// canvas (frame, inset, rings in half pixels, shared edges) — prepared once per run and kept in
// the output folder (OUT/panel/.maps/<layer>.geometry), so that the next run and
// `nightlights report OUT` draw the same pictures without reading, datum-correcting and
// projecting the zone layer again. The stored file carries a key (the zone file's SHA-256, the
// layer's settings, the map layout, the format version, GDAL's and PROJ's versions); a file
// whose key differs is prepared again and rewritten.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"
#include "pipeline/pictures/map_canvas.hpp"
#include "pipeline/pictures/map_shapes.hpp"

namespace nl {

struct MapGeometry {
  std::string key;               // map_geometry_key it was made under ("" when not stored)
  std::vector<std::string> ids;  // feature ids, layer order (polygon p of the canvas is ids[p])
  AlbersParameters albers;
  MapCanvas canvas;
};

// Reads the layer (read_map_shapes) and quantises it to the map (make_canvas).
MapGeometry prepare_map_geometry(const ZoneLayerConfig& layer);

// What the stored geometry depends on; `zone_sha256` is the zone file's hash.
std::string map_geometry_key(const ZoneLayerConfig& layer, const std::string& zone_sha256);

// The stored form (a small versioned binary) and back. decode returns nullopt for another
// format version, a damaged file, or (when `key` is given) another key; it leaves
// canvas.edges empty (edge_table makes them again from the rings, when borders are stroked).
std::string encode_map_geometry(const MapGeometry& geometry, const std::string& key);
std::optional<MapGeometry> decode_map_geometry(const std::string& bytes, const std::string* key);

std::string map_geometry_path(const std::string& out, const std::string& layer_name);

// A stroke's coverage kept beside the geometry (OUT/panel/.maps/<layer>.<name>.mask, zlib),
// under a key of the geometry's key, the stroke and the polygons' groups it outlines: stroking a
// county layer's borders costs more than drawing a map, and they change only with the zones
// or the levels. nullopt when absent or made under another key.
std::optional<std::vector<unsigned char>> stored_mask(const std::string& path, const std::string& key);
void store_mask(const std::string& path, const std::string& key, const std::vector<unsigned char>& coverage);

// The run: the stored geometry when its key matches, else prepared and stored (atomically).
MapGeometry stored_or_prepared_map_geometry(const std::string& out, const ZoneLayerConfig& layer,
                                            const std::string& zone_sha256);

// `nightlights report OUT`: the geometry the last run stored; UserError when there is none.
MapGeometry stored_map_geometry(const std::string& out, const std::string& layer_name);

}  // namespace nl
