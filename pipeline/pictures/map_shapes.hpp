// The zones as drawn on the maps: a zone layer's polygons in lon/lat (WGS84, GCJ-02 corrected),
// projected once per run to an Albers equal-area conic chosen from the layer's extent.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/config.hpp"

class OGRCoordinateTransformation;

namespace nl {

struct AlbersParameters {
  double lat_1 = 25, lat_2 = 47, lat_0 = 0, lon_0 = 105;
  std::string proj_string() const;
};

// China's conventional Albers (25°N, 47°N, 105°E) when the extent is China's; else standard
// parallels at 1/6 and 5/6 of the latitude range and the central meridian at the middle, each
// rounded to a whole degree (Snyder's rule of thumb).
AlbersParameters albers_for_extent(double lon_min, double lat_min, double lon_max, double lat_max);

// lon/lat (WGS84, degrees) → Albers metres.
class MapProjector {
 public:
  explicit MapProjector(const AlbersParameters& p);
  ~MapProjector();
  MapProjector(const MapProjector&) = delete;
  MapProjector& operator=(const MapProjector&) = delete;
  // In place on x = lon, y = lat arrays; false where a point fails (left as NaN).
  void project(std::vector<double>& x, std::vector<double>& y) const;
  std::pair<double, double> project(double lon, double lat) const;

 private:
  std::unique_ptr<OGRCoordinateTransformation> t_;
};

using MapRing = std::vector<std::pair<double, double>>;  // projected metres

struct MapExtent {
  double x_min = 0, y_min = 0, x_max = 0, y_max = 0;  // projected metres
};

struct MapShapes {
  std::vector<std::string> ids;             // feature ids, layer order (as the level's codes)
  std::vector<std::vector<MapRing>> rings;  // [feature] rings, projected
  AlbersParameters albers;
  double x_min = 0, y_min = 0, x_max = 0, y_max = 0;  // projected extent of the main map
  // China's South China Sea islands (rings wholly south of 17.5°N and east of 108°E: Xisha,
  // Zhongsha, Nansha, Dongsha) go to an inset, as Chinese maps draw them, so that they neither
  // stretch the main map a third taller nor drop out. [feature][ring]; empty when none.
  std::vector<std::vector<char>> in_inset;
  bool has_inset = false;
  MapExtent inset;  // their projected extent
};

// Reads every feature of the layer once (ids in layer order, as zone_layer reads them).
MapShapes read_map_shapes(const ZoneLayerConfig& layer);

}  // namespace nl
