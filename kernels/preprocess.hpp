// Turns raw window values into physical values with NaN for no data: nodata, scale/offset,
// negatives, background floor, top-coding cap and a quality (cloud-free coverage) mask.
#pragma once
#include <cstdint>
#include <limits>
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

// One raw value to its physical value, NaN for no data; the options checked once, not per cell.
class ValuePreprocessor {
 public:
  explicit ValuePreprocessor(const PreprocessOptions& o);
  double operator()(double x) const {
    if (!(x - x == 0) || (has_nodata_ && x == nodata_)) return nan_;  // NaN and ±Inf: no data
    if (scaled_) x = x * scale_ + offset_;
    if (x < 0) {
      if (negatives_ == NegativePolicy::zero) x = 0;
      else if (negatives_ == NegativePolicy::nodata) return nan_;
    }
    if (x < floor_) x = 0;
    if (x > cap_) x = cap_;
    return x;
  }

 private:
  bool has_nodata_, scaled_;
  double nodata_, scale_, offset_, floor_, cap_, nan_;
  NegativePolicy negatives_;
};

// The common case of ValuePreprocessor, with the same bits: the options change nothing but the
// nodata value (no scale or offset, negatives kept, no floor, no cap). Hot loops instantiate on
// it so that each cell pays two comparisons instead of six.
class NodataOnlyPreprocessor {
 public:
  explicit NodataOnlyPreprocessor(const PreprocessOptions& o);
  static bool applies(const PreprocessOptions& o) {
    return o.scale == 1.0 && o.offset == 0.0 && o.negatives == NegativePolicy::keep && !o.floor && !o.cap;
  }
  double operator()(double x) const {
    return (!(x - x == 0) || (has_nodata_ && x == nodata_)) ? std::numeric_limits<double>::quiet_NaN() : x;
  }

 private:
  bool has_nodata_;
  double nodata_;
};

// In place. NaN and ±Inf are no data whatever the options say.
void preprocess_window(xt::xtensor<double, 2>& values, const PreprocessOptions& options);

// Cells whose quality count is below `min_count` (or is NaN: the quality raster's no data)
// become no data.
void apply_quality_mask(xt::xtensor<double, 2>& values, const xt::xtensor<double, 2>& quality,
                        double min_count);

}  // namespace nl
