// The maps of one release (OUT/releases/<id>/maps/): brightness, gap to the reference and lit
// share of every level, drawn from the run's in-memory accumulators over the zone geometries
// read once per run. Derived levels colour their member units; outlines come from member edges.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/config.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/pictures/map_canvas.hpp"

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

class ReleaseMaps {
 public:
  explicit ReleaseMaps(const RunConfig& config);
  ~ReleaseMaps();
  // Writes <dir>/brightness_<level>.png, gap_<level>.png, lit_share_<level>.png.
  void draw(const std::string& dir, const ReleaseMapInputs& in) const;
  void draw_level(const std::string& dir, const ReleaseMapInputs& in, size_t level) const;

  struct Layer;  // one zone layer's shapes, projector and canvas

 private:
  const RunConfig& config_;
  std::map<std::string, std::unique_ptr<Layer>> layers_;  // by zone layer name
};

// The level whose outlines are drawn over `level`'s map: the first coarser level made of the same
// finest units with at most a tenth as many units (else the first coarser one); -1 when none.
int outline_level(const std::vector<LevelUnits>& levels, int level);

}  // namespace nl
