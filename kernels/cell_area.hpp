// True cell areas in km²: ellipsoidal (WGS84) areas of geographic cells, row by row.
#pragma once
#include <vector>

#include "kernels/grid.hpp"

namespace nl {

struct Ellipsoid {
  double semi_major_m = 6378137.0;
  double inverse_flattening = 298.257223563;
  static Ellipsoid wgs84() { return {}; }
};

// Area (km²) of the band between latitudes lat1 and lat2 (degrees) spanning dlon degrees:
// dλ·b²/2·|q(φ₂) − q(φ₁)| with q the authalic-latitude function (DESIGN.md).
double ellipsoid_band_area_km2(double lat1_deg, double lat2_deg, double dlon_deg,
                               const Ellipsoid& e = Ellipsoid::wgs84());

// Area (km²) of one cell in each row of a geographic (lon/lat degrees) grid.
std::vector<double> geographic_row_cell_areas_km2(const GridGeometry& grid,
                                                  const Ellipsoid& e = Ellipsoid::wgs84());

}  // namespace nl
