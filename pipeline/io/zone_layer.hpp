// Reading zone polygons from any OGR source: ids and carried fields, CRS checks and
// reprojection to the raster's CRS, GCJ-02 correction, MakeValid repair, and conversion of
// every ring to the raster's cell coordinates for the coverage kernel.
#pragma once
#include <string>
#include <vector>

#include "kernels/coverage.hpp"
#include "kernels/datum.hpp"
#include "pipeline/io/raster_source.hpp"

class OGRGeometry;

namespace nl {

struct ZoneSource {
  std::string path;
  std::string layer;            // empty: the first layer
  std::string id_field;
  std::vector<std::string> include_fields;
  std::string assume_crs;       // used when the layer has no CRS
  Datum datum = Datum::wgs84;
};

struct ZoneSet {
  std::string layer_name;
  std::vector<std::string> field_names;            // the carried fields, in order
  std::vector<std::string> ids;                    // one per feature, input order
  std::vector<std::vector<std::string>> fields;    // [zone][field]
  std::vector<std::vector<Ring>> rings;            // [zone] rings in cell coordinates
  size_t repaired = 0;      // invalid geometries fixed by MakeValid
  size_t empty = 0;         // features without geometry (kept, with empty statistics)
  bool reprojected = false;
  size_t size() const { return ids.size(); }
};


// Throws UserError naming the file and the problem: missing file, not a vector source, unknown
// layer or field, no CRS without assume_crs, empty layer, points or lines, duplicate ids.
ZoneSet read_zones(const ZoneSource& source, const RasterInfo& raster);

}  // namespace nl
