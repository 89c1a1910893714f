// DMSP releases in a run (see dmsp_release.hpp).
#include "pipeline/app/dmsp_release.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

std::shared_ptr<const IntercalibrationTable> dmsp_table(const RunConfig& config) {
  const std::string& choice = config.releases.dmsp.intercalibration;
  if (choice == "none") return nullptr;
  return std::make_shared<const IntercalibrationTable>(load_intercalibration(choice, config.base_dir));
}

DmspRelease open_dmsp_release(const ReleaseFile& release, const RunConfig& config, const IntercalibrationTable* table) {
  DmspRelease d;
  d.intercalibration = table ? table->name : "none";
  d.combine = config.releases.dmsp.combine;
  for (const SatelliteFile& s : release.satellites) {
    DmspInput in;
    in.satellite_year = s.satellite_year;
    in.raster = inspect_raster(s.path, config.releases.band, config.releases.assume_crs);
    in.calibration = config.releases.dmsp.conventions;
    in.calibration.coefficients = table ? table->at(s.satellite_year).coefficients : CalibrationCoefficients{};
    if (!d.inputs.empty() && !d.inputs[0].raster.grid.same_grid(in.raster.grid))
      throw UserError("DMSP year " + release.id + ": " + s.path + " has grid " + in.raster.grid.describe() +
                      ", " + d.inputs[0].raster.path + " has " + d.inputs[0].raster.grid.describe() +
                      "; the two satellites of a year must share one grid");
    d.inputs.push_back(std::move(in));
  }
  return d;
}

namespace {

void values_from_transform(ZonalOptions& o) {
  o.preprocess.nodata.reset();  // the transform turned each input's nodata into NaN
  o.preprocess.scale = 1.0;
  o.preprocess.offset = 0.0;
}

}  // namespace

void use_dmsp_values(const DmspRelease& dmsp, ZonalOptions& options) {
  options.transform = dmsp_calibrate_and_combine(dmsp.inputs, dmsp.combine);
  values_from_transform(options);
}

void use_dmsp_saturation(const DmspRelease& dmsp, ZonalOptions& options) {
  options.transform = dmsp_saturation_indicator(dmsp.inputs);
  values_from_transform(options);
  options.preprocess.floor.reset();  // 0/1 indicator: no floor, cap or negatives policy
  options.preprocess.cap.reset();
  options.preprocess.negatives = NegativePolicy::keep;
}

std::string dmsp_provenance_json(const DmspRelease& dmsp, int64_t saturated_cells) {
  nlohmann::ordered_json j;
  j["intercalibration"] = dmsp.intercalibration;
  j["combine"] = dmsp.inputs.size() > 1 ? combine_rule_name(dmsp.combine) : "single satellite";
  j["satellites"] = nlohmann::ordered_json::array();
  for (const DmspInput& in : dmsp.inputs) {
    nlohmann::ordered_json s;
    s["satellite_year"] = in.satellite_year.id();
    s["path"] = std::filesystem::absolute(in.raster.path).string();
    s["c0"] = in.calibration.coefficients.c0;
    s["c1"] = in.calibration.coefficients.c1;
    s["c2"] = in.calibration.coefficients.c2;
    j["satellites"].push_back(s);
  }
  j["saturated_cells"] = saturated_cells;
  return j.dump();
}

}  // namespace nl
