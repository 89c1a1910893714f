// Turns raw window values into physical values with NaN for no data: nodata, scale/offset,
// negatives, background floor, top-coding cap and a quality (cloud-free coverage) mask.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <xtensor/xtensor.hpp>

namespace nl {

enum class NegativePolicy { keep, zero, nodata };
NegativePolicy parse_negative_policy(const std::string& name);

struct PreprocessOptions {
  std::optional<double> nodata;  // raw value meaning no data, already rounded to the band's type
  double scale = 1.0;
  double offset = 0.0;
  NegativePolicy negatives = NegativePolicy::keep;
  std::optional<double> floor;   // valid values below become 0 (background)
  std::optional<double> cap;     // valid values above become cap (fires, flares)
};

// In place. NaN and ±Inf are no data whatever the options say.
void preprocess_window(xt::xtensor<double, 2>& values, const PreprocessOptions& options);

// Cells whose quality count is below `min_count` (or is NaN: the quality raster's no data)
// become no data.
void apply_quality_mask(xt::xtensor<double, 2>& values, const xt::xtensor<double, 2>& quality,
                        double min_count);

}  // namespace nl
