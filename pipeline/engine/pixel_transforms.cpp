// DMSP transforms of aligned inputs (see the header).
#include "pipeline/engine/pixel_transforms.hpp"

#include <cmath>
#include <limits>

namespace nl {

namespace {

std::vector<RasterInfo> further_inputs(const std::vector<DmspInput>& inputs) {
  std::vector<RasterInfo> out;
  for (size_t k = 1; k < inputs.size(); ++k) out.push_back(inputs[k].raster);
  return out;
}

// GDAL's nodata of an input, as NaN, before the DMSP conventions see the value.
void mask_nodata(xt::xtensor<double, 2>& v, const RasterInfo& r) {
  if (!r.nodata) return;
  const double nd = *r.nodata;
  for (double& x : v)
    if (x == nd) x = std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

PixelTransform dmsp_calibrate_and_combine(const std::vector<DmspInput>& inputs, CombineRule rule) {
  PixelTransform t;
  t.inputs = further_inputs(inputs);
  t.apply = [inputs, rule](std::vector<xt::xtensor<double, 2>>& raw) -> int64_t {
    int64_t saturated = 0;
    const size_t n = raw[0].size();
    for (size_t i = 0; i < n; ++i) {
      bool any_saturated = false;
      double combined = std::numeric_limits<double>::quiet_NaN();
      for (size_t k = 0; k < inputs.size(); ++k) {
        double x = raw[k].data()[i];
        if (inputs[k].raster.nodata && x == *inputs[k].raster.nodata) x = std::numeric_limits<double>::quiet_NaN();
        any_saturated = any_saturated || is_saturated(x, inputs[k].calibration);
        const double v = calibrate_dn(x, inputs[k].calibration);
        combined = k == 0 ? v : combine_two(combined, v, rule);
      }
      saturated += any_saturated ? 1 : 0;
      raw[0].data()[i] = combined;
    }
    return saturated;
  };
  return t;
}

PixelTransform dmsp_saturation_indicator(const std::vector<DmspInput>& inputs) {
  PixelTransform t;
  t.inputs = further_inputs(inputs);
  t.apply = [inputs](std::vector<xt::xtensor<double, 2>>& raw) -> int64_t {
    for (size_t k = 0; k < inputs.size(); ++k) mask_nodata(raw[k], inputs[k].raster);
    int64_t saturated = 0;
    const size_t n = raw[0].size();
    for (size_t i = 0; i < n; ++i) {
      bool any_valid = false, any_saturated = false;
      for (size_t k = 0; k < inputs.size(); ++k) {
        const double x = raw[k].data()[i];
        const auto& o = inputs[k].calibration;
        if (std::isnan(x) || (o.no_observation && x == *o.no_observation)) continue;
        any_valid = true;
        any_saturated = any_saturated || is_saturated(x, o);
      }
      saturated += any_saturated ? 1 : 0;
      raw[0].data()[i] = any_valid ? (any_saturated ? 1.0 : 0.0) : std::numeric_limits<double>::quiet_NaN();
    }
    return saturated;
  };
  return t;
}

}  // namespace nl
