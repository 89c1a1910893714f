// Per-pixel transforms of a release's aligned inputs for the zonal engine (PixelTransform):
// a DMSP year's composites calibrated and combined, and the saturation indicator behind
// saturated_area_km2.
#pragma once
#include <string>
#include <vector>

#include "kernels/intercalibration.hpp"
#include "pipeline/engine/zonal_engine.hpp"
#include "pipeline/io/intercalibration_table.hpp"

namespace nl {

// One DMSP composite of a release: its satellite-year, raster and calibration.
struct DmspInput {
  SatelliteYear satellite_year;
  RasterInfo raster;
  IntercalibrationOptions calibration;  // coefficients of its satellite-year (identity: none)
};

// Calibrates each input (raw DN → C0 + C1·DN + C2·DN², with the conventions) and combines two
// by `rule`; returns saturated raw cells (DN 63 in any input) through transform_count.
// inputs[0] is the raster the engine reads; the others become PixelTransform::inputs.
PixelTransform dmsp_calibrate_and_combine(const std::vector<DmspInput>& inputs, CombineRule rule);

// 1 where some input's raw DN is saturated, 0 where none is and one is valid, no data where
// every input is: a zone's sum_area over it is its saturated area in km².
PixelTransform dmsp_saturation_indicator(const std::vector<DmspInput>& inputs);

}  // namespace nl
