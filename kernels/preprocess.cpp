#include "kernels/preprocess.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace nl {

NegativePolicy parse_negative_policy(const std::string& name) {
  if (name == "keep") return NegativePolicy::keep;
  if (name == "zero") return NegativePolicy::zero;
  if (name == "nodata") return NegativePolicy::nodata;
  throw std::invalid_argument("unknown negatives policy '" + name + "' (use keep, zero or nodata)");
}

void preprocess_window(xt::xtensor<double, 2>& values, const PreprocessOptions& o) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const bool has_nodata = o.nodata.has_value() && !std::isnan(*o.nodata);
  const double nodata = has_nodata ? *o.nodata : 0.0;
  const bool scaled = o.scale != 1.0 || o.offset != 0.0;
  for (double& x : values) {
    if (!std::isfinite(x) || (has_nodata && x == nodata)) {
      x = nan;
      continue;
    }
    if (scaled) x = x * o.scale + o.offset;
    if (x < 0) {
      if (o.negatives == NegativePolicy::zero) x = 0;
      else if (o.negatives == NegativePolicy::nodata) {
        x = nan;
        continue;
      }
    }
    if (o.floor && x < *o.floor) x = 0;
    if (o.cap && x > *o.cap) x = *o.cap;
  }
}

void apply_quality_mask(xt::xtensor<double, 2>& values, const xt::xtensor<double, 2>& quality,
                        double min_count) {
  if (values.shape() != quality.shape()) throw std::invalid_argument("quality window shape differs");
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  auto q = quality.begin();
  for (double& x : values) {
    const double count = *q++;
    if (std::isnan(count) || count < min_count) x = nan;
  }
}

}  // namespace nl
