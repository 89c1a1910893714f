// The Hu line as zones: the line from Heihe to Tengchong (a WGS84 geodesic by default, or the
// straight lon/lat segment), extended past both ends, splits the country into an east and a
// west polygon, written as a two-feature GeoPackage that the zonal engine uses like any layer.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/datum.hpp"

class OGRGeometry;

namespace nl {

struct HuLineDefinition {
  double ne_lon = 127.49, ne_lat = 50.25;  // Heihe
  double sw_lon = 98.49, sw_lat = 25.02;   // Tengchong
  std::string shape = "geodesic";          // or straight-lonlat
  double step_km = 5;
  double extend_km = 2500;
  std::string source;  // the definition file
};

HuLineDefinition load_hu_line_definition(const std::string& path);

// Vertices (lon, lat) from beyond the north-east end to beyond the south-west end.
std::vector<std::pair<double, double>> hu_line_vertices(const HuLineDefinition& line);

// Which side of the line a point is on: +1 east, -1 west (the line's own vertices decide).
int hu_line_side(const std::vector<std::pair<double, double>>& vertices, double lon, double lat);

struct CountrySource {
  std::string path, layer, assume_crs;
  Datum datum = Datum::wgs84;
};

// Writes `path` (GeoPackage, layer `hu_line`, field `side` = east | west, EPSG:4326): the two
// sides clipped to the country (the union of the layer's polygons). Returns the two sides'
// geodesic areas in km² (east, west) as a check.
std::pair<double, double> write_hu_line_zones(const HuLineDefinition& line, const CountrySource& country,
                                              const std::string& path);

}  // namespace nl

namespace nl {

// For each feature of a zone layer (by id), the side of the Hu line holding most of its area:
// "east" or "west". Features wholly on one side are decided by their vertices; the rest by
// intersecting with the east side.
std::map<std::string, std::string> hu_line_sides_of_zones(const HuLineDefinition& line, const std::string& path,
                                                          const std::string& layer, const std::string& id_field,
                                                          Datum datum);

}  // namespace nl
