// DMSP stable-lights releases in a run: a year's composites opened with their satellite-year's
// calibration (preprocess.intercalibration), the zonal options that calibrate and combine them
// per pixel, the saturation pass behind saturated_area_km2, and the provenance's "dmsp" record.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "pipeline/engine/pixel_transforms.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/intercalibration_table.hpp"
#include "pipeline/io/releases.hpp"

namespace nl {

struct DmspRelease {
  std::vector<DmspInput> inputs;  // older satellite first
  std::string intercalibration;   // the table's name, or "none"
  CombineRule combine = CombineRule::mean;
};

// The configured table (nothing for `none`); throws UserError.
std::shared_ptr<const IntercalibrationTable> dmsp_table(const RunConfig& config);

// Opens each composite (the same grid as the first, or UserError naming both) with the
// coefficients of its satellite-year (UserError naming a satellite-year the table lacks).
DmspRelease open_dmsp_release(const ReleaseFile& release, const RunConfig& config, const IntercalibrationTable* table);

// The engine reads the first composite and the others beside it and accumulates the calibrated,
// combined values: nodata, scale and offset are the transform's, not the preprocessing's.
void use_dmsp_values(const DmspRelease& dmsp, ZonalOptions& options);
// The same reads, accumulating the saturation indicator (sum_area = saturated km²).
void use_dmsp_saturation(const DmspRelease& dmsp, ZonalOptions& options);

// {"intercalibration": …, "combine": …, "satellites": [{"satellite_year", "path", "c0", "c1",
// "c2"}], "saturated_cells": …} as JSON text.
std::string dmsp_provenance_json(const DmspRelease& dmsp, int64_t saturated_cells);

}  // namespace nl
