// Raw values to physical values: nodata, scale/offset, negatives, floor and cap.
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

ValuePreprocessor::ValuePreprocessor(const PreprocessOptions& o)
    : has_nodata_(o.nodata.has_value() && !std::isnan(*o.nodata)),
      scaled_(o.scale != 1.0 || o.offset != 0.0),
      nodata_(has_nodata_ ? *o.nodata : 0.0),
      scale_(o.scale),
      offset_(o.offset),
      floor_(o.floor ? *o.floor : -std::numeric_limits<double>::infinity()),
      cap_(o.cap ? *o.cap : std::numeric_limits<double>::infinity()),
      nan_(std::numeric_limits<double>::quiet_NaN()),
      negatives_(o.negatives) {}

NodataOnlyPreprocessor::NodataOnlyPreprocessor(const PreprocessOptions& o)
    : has_nodata_(o.nodata.has_value() && !std::isnan(*o.nodata)), nodata_(has_nodata_ ? *o.nodata : 0.0) {
  if (!applies(o)) throw std::invalid_argument("NodataOnlyPreprocessor: the options do more than nodata");
}

void preprocess_window(xt::xtensor<double, 2>& values, const PreprocessOptions& o) {
  const ValuePreprocessor physical(o);
  for (double& x : values) x = physical(x);
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
