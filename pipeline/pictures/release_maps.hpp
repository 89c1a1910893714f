// The maps of one release (OUT/releases/<id>/maps/): brightness, gap to the reference and lit
// share of every level, drawn from the run's in-memory accumulators over the zone geometries
// prepared once per run (map_geometry). Derived levels colour their member units; outlines come
// from member edges. What every release's maps share is made once and kept: each layer's
// backdrop and projector, and each set of borders' and outlines' coverage (StrokeMask).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "pipeline/io/config.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/pictures/map_geometry.hpp"
#include "pipeline/pictures/map_render.hpp"

namespace nl {

struct ReleaseMapInputs {
  std::string release;           // id
  std::string product;           // the raster's file name
  std::string units;             // releases.units
  double min_valid_fraction = 0;
  double reference_brightness = 0;                 // gaps.reference's brightness (0: no gap map)
  std::string reference_name;
  const std::vector<LevelUnits>* levels = nullptr;
  const std::vector<std::vector<double>>* gap_brightness = nullptr;  // [level][unit], may be null
  std::vector<std::pair<double, double>> hu_line_lonlat;             // empty: no Hu line
};

// Each zone layer's map geometry: the run's stored_or_prepared_map_geometry, the report's
// stored_map_geometry.
using MapGeometrySource = std::function<MapGeometry(const ZoneLayerConfig&)>;

class ReleaseMaps {
 public:
  // Gets the geometry of every zone layer a level is drawn on, once. With `out`, the borders'
  // and outlines' coverage is kept in OUT/panel/.maps (see store_mask) for the next run.
  ReleaseMaps(const RunConfig& config, const MapGeometrySource& geometry, std::string out = "");
  ~ReleaseMaps();
  // Writes <dir>/brightness_<level>.png, gap_<level>.png, lit_share_<level>.png (and
  // light_per_person_<level>.png with a population table); the maps are drawn in parallel.
  void draw(const std::string& dir, const ReleaseMapInputs& in);

  struct Layer;  // one zone layer's geometry, projector and backdrop
  struct Mask;   // a stroke's coverage and the polygon groups it outlines

 private:
  // One set of strokes a map needs: the edges between `group`'s groups (a level's units, by
  // polygon) on `layer`, at `width`.
  struct MaskRequest {
    std::string layer;
    int level;
    std::string name;  // the mask's file name in OUT/panel/.maps
    double width;
    const std::vector<int64_t>* group;
  };
  // Makes (in parallel) the masks not kept yet, or kept for other groups; then each request's.
  std::vector<const StrokeMask*> masks(const std::vector<MaskRequest>& requests);

  const RunConfig& config_;
  std::string out_;
  std::map<std::string, std::unique_ptr<Layer>> layers_;  // by zone layer name
  std::map<std::tuple<std::string, int, double>, std::unique_ptr<Mask>> masks_;  // by layer, level, width
};

// The level whose outlines are drawn over `level`'s map: the first coarser level made of the same
// finest units with at most a tenth as many units (else the first coarser one); -1 when none.
int outline_level(const std::vector<LevelUnits>& levels, int level);

}  // namespace nl
