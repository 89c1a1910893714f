// True cell areas (km²) of a raster grid: ellipsoidal on lon/lat grids, nominal on equal-area
// projections, and from each cell's corners through PROJ on any other projection (Web
// Mercator, UTM, Lambert conformal…), where the nominal area can be off by half or more.
#pragma once
#include <memory>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "pipeline/io/raster_source.hpp"

class OGRCoordinateTransformation;

namespace nl {

struct CellAreas {
  std::vector<double> row_km2;  // a cell's area in each row, where it depends on the row alone
  bool per_cell = false;        // else: each cell's own, from a CellAreaCalculator per thread
};

// Row areas where they are exact (lon/lat and equal-area grids, and projections whose cell
// areas do not vary along a row, such as Mercator), else per-cell areas.
CellAreas raster_cell_areas(const RasterInfo& raster);

// The area of cells of a projected grid from their corners (one per thread: it owns PROJ
// transformations). A cell whose corners are a lon/lat rectangle (a cylindrical projection)
// gets the exact ellipsoidal band area; any other gets the planar area of its corners in a
// Lambert azimuthal equal-area projection centred on the raster, on the raster's ellipsoid.
class CellAreaCalculator {
 public:
  explicit CellAreaCalculator(const RasterInfo& raster);
  ~CellAreaCalculator();
  CellAreaCalculator(const CellAreaCalculator&) = delete;
  CellAreaCalculator& operator=(const CellAreaCalculator&) = delete;

  double cell_km2(int64_t row, int64_t col);
  void window_km2(const Window& window, xt::xtensor<double, 2>& out);  // out resized

 private:
  const RasterInfo& raster_;
  std::unique_ptr<OGRCoordinateTransformation> to_lonlat_, to_equal_area_;
  double semi_major_m_ = 0, inverse_flattening_ = 0;
  std::vector<double> x_, y_;
};

}  // namespace nl
