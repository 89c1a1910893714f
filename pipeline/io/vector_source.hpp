// The one way the tool opens vector layers and turns a feature's geometry into the geometry it
// measures: the file checked and opened with OGR (errors naming the file, the layer and what
// is there instead), curves linearised, GCJ-02 converted to WGS84 (invalid polygons are
// repaired by `geometry_validity`). The zonal engine (`zone_layer`), the Hu line, the
// GeoPackages and the maps all go through here, so a map or a GeoPackage shows the geometry
// whose statistics it shows.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "kernels/datum.hpp"

class GDALDataset;
class OGRLayer;
class OGRGeometry;
class OGRFeatureDefn;

namespace nl {

struct VectorLayer {
  struct Closer {
    void operator()(GDALDataset* d) const;
  };
  std::unique_ptr<GDALDataset, Closer> dataset;
  OGRLayer* layer = nullptr;
};

// Opens `path`'s layer (`layer` empty: the first). Throws UserError: file not found, not a
// vector source, no such layer (listing the layers there).
VectorLayer open_vector_layer(const std::string& path, const std::string& layer);

// Tells OGR to skip every attribute but `keep` (and the geometry unless `with_geometry`): a
// driver such as GeoPackage's then selects only those columns instead of decoding all of them.
void read_only_fields(OGRLayer* layer, const std::vector<std::string>& keep, bool with_geometry);

// "a, b, c": a layer's field names, for messages.
std::string field_names(OGRFeatureDefn* definition);

// The geometry in WGS84 terms: curves linearised, GCJ-02 converted. Null for a null input.
std::unique_ptr<OGRGeometry> corrected_geometry(const OGRGeometry* geometry, Datum datum);
// In place: curves linearised, GCJ-02 converted (the geometry may be replaced).
void correct_geometry(std::unique_ptr<OGRGeometry>& geometry, Datum datum);

// GCJ-02 → WGS84 on every vertex of a geometry, in place.
void gcj02_to_wgs84_in_place(OGRGeometry* geometry);

}  // namespace nl
