// Gini, CV, variance of logs, Theil T and L with the within/between split.
#include "kernels/inequality.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace nl {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Gini and CV are defined for y = 0; logarithms need y > 0.
enum class Domain { nonnegative, positive };

enum class Bucket { used, flag, nan, nonpositive };

void check_sizes(std::span<const double> y, std::span<const double> w,
                 std::span<const std::uint8_t> include) {
  if (!w.empty() && w.size() != y.size())
    throw std::invalid_argument("inequality: weights must be empty or have one entry per value");
  if (!include.empty() && include.size() != y.size())
    throw std::invalid_argument("inequality: include flags must be empty or one per value");
}

double weight_of(std::span<const double> w, std::size_t i) { return w.empty() ? 1.0 : w[i]; }

Bucket classify(std::span<const double> y, std::span<const double> w,
                std::span<const std::uint8_t> include, std::size_t i, Domain domain) {
  if (!include.empty() && include[i] == 0) return Bucket::flag;
  const double yi = y[i];
  if (std::isnan(yi)) return Bucket::nan;
  // An infinite value would make every measure NaN or Inf without saying why.
  if (std::isinf(yi)) throw std::invalid_argument("inequality: infinite value");
  if (domain == Domain::positive && yi <= 0) return Bucket::nonpositive;
  // Zero is a legitimate "unlit" value for Gini/CV, but a negative one means the inputs were not
  // preprocessed, and the measures would be meaningless rather than merely undefined.
  if (yi < 0) throw std::invalid_argument("inequality: negative value for Gini/CV");
  const double wi = weight_of(w, i);
  if (!std::isfinite(wi) || wi < 0)
    throw std::invalid_argument("inequality: weights must be finite and non-negative");
  return Bucket::used;
}

template <typename Counts>
void count(Counts& counts, Bucket bucket) {
  switch (bucket) {
    case Bucket::used: ++counts.n_used; break;
    case Bucket::flag: ++counts.n_excluded_flag; break;
    case Bucket::nan: ++counts.n_excluded_nan; break;
    case Bucket::nonpositive: ++counts.n_excluded_nonpositive; break;
  }
}

struct WeightedValue {
  double y;
  double w;
};

// The used units, with counts, W and μ filled in on `summary`.
std::vector<WeightedValue> screen(std::span<const double> y, std::span<const double> w,
                                  std::span<const std::uint8_t> include, Domain domain,
                                  InequalityResult& summary) {
  check_sizes(y, w, include);
  std::vector<WeightedValue> used;
  used.reserve(y.size());
  double weighted_sum = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const Bucket bucket = classify(y, w, include, i, domain);
    count(summary, bucket);
    if (bucket != Bucket::used) continue;
    used.push_back({y[i], weight_of(w, i)});
    summary.total_weight += used.back().w;
    weighted_sum += used.back().w * used.back().y;
  }
  summary.mean = summary.total_weight > 0 ? weighted_sum / summary.total_weight : kNaN;
  return used;
}

// Per-unit Theil term before weighting: (y/μ) ln(y/μ) for T, ln(μ/y) for L.
double theil_term(TheilIndex index, double y, double mean) {
  const double ratio = y / mean;
  return index == TheilIndex::T ? ratio * std::log(ratio) : -std::log(ratio);
}

InequalityResult theil(TheilIndex index, std::span<const double> y, std::span<const double> w,
                       std::span<const std::uint8_t> include) {
  InequalityResult result;
  const auto used = screen(y, w, include, Domain::positive, result);
  if (!(result.total_weight > 0)) return result;
  double sum = 0;
  for (const auto& u : used) sum += u.w * theil_term(index, u.y, result.mean);
  result.value = sum / result.total_weight;
  return result;
}

}  // namespace

InequalityResult gini(std::span<const double> y, std::span<const double> w,
                      std::span<const std::uint8_t> include) {
  InequalityResult result;
  auto used = screen(y, w, include, Domain::nonnegative, result);
  if (!(result.total_weight > 0) || !(result.mean > 0)) return result;
  std::sort(used.begin(), used.end(),
            [](const WeightedValue& a, const WeightedValue& b) { return a.y < b.y; });
  // With units sorted by y, Σᵢ Σⱼ wᵢwⱼ|yᵢ − yⱼ| = 2 Σⱼ wⱼ Σ_{i<j} wᵢ(yⱼ − yᵢ)
  //                                           = 2 Σⱼ wⱼ (yⱼ·C_{j−1} − S_{j−1}),
  // with C and S the running sums of w and w·y over the units before j.
  double preceding_weight = 0;
  double preceding_weighted_sum = 0;
  double half_pair_sum = 0;
  for (const auto& u : used) {
    half_pair_sum += u.w * (u.y * preceding_weight - preceding_weighted_sum);
    preceding_weight += u.w;
    preceding_weighted_sum += u.w * u.y;
  }
  // 2·half / (2 W² μ), and W·μ is the weighted sum itself.
  result.value = half_pair_sum / (result.total_weight * preceding_weighted_sum);
  return result;
}

InequalityResult coefficient_of_variation(std::span<const double> y, std::span<const double> w,
                                          std::span<const std::uint8_t> include) {
  InequalityResult result;
  const auto used = screen(y, w, include, Domain::nonnegative, result);
  if (!(result.total_weight > 0) || !(result.mean > 0)) return result;
  // Two passes: Σw·y² − W·μ² loses everything when the spread is small next to the mean.
  double squared_deviations = 0;
  for (const auto& u : used) {
    const double deviation = u.y - result.mean;
    squared_deviations += u.w * deviation * deviation;
  }
  result.value = std::sqrt(squared_deviations / result.total_weight) / result.mean;
  return result;
}

InequalityResult variance_of_logs(std::span<const double> y, std::span<const double> w,
                                  std::span<const std::uint8_t> include) {
  InequalityResult result;
  const auto used = screen(y, w, include, Domain::positive, result);
  if (!(result.total_weight > 0)) return result;
  double log_sum = 0;
  for (const auto& u : used) log_sum += u.w * std::log(u.y);
  const double log_mean = log_sum / result.total_weight;
  double squared_deviations = 0;
  for (const auto& u : used) {
    const double deviation = std::log(u.y) - log_mean;
    squared_deviations += u.w * deviation * deviation;
  }
  result.value = squared_deviations / result.total_weight;
  return result;
}

InequalityResult theil_t(std::span<const double> y, std::span<const double> w,
                         std::span<const std::uint8_t> include) {
  return theil(TheilIndex::T, y, w, include);
}

InequalityResult theil_l(std::span<const double> y, std::span<const double> w,
                         std::span<const std::uint8_t> include) {
  return theil(TheilIndex::L, y, w, include);
}

Decomposition theil_decomposition(TheilIndex index, std::span<const double> y,
                                  std::span<const double> w,
                                  std::span<const std::string> group_labels,
                                  std::span<const std::uint8_t> include) {
  check_sizes(y, w, include);
  if (group_labels.size() != y.size())
    throw std::invalid_argument("theil_decomposition: need one group label per value");

  Decomposition result;
  result.index = index;

  std::unordered_map<std::string, std::size_t> group_of_label;
  std::vector<std::size_t> group_of_unit(y.size());
  std::vector<Bucket> bucket_of_unit(y.size());
  std::vector<double> group_weighted_sum;
  double weighted_sum = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const auto [it, inserted] = group_of_label.try_emplace(group_labels[i], result.groups.size());
    if (inserted) {
      result.groups.push_back(GroupPart{.label = group_labels[i]});
      group_weighted_sum.push_back(0);
    }
    const std::size_t g = it->second;
    group_of_unit[i] = g;
    const Bucket bucket = classify(y, w, include, i, Domain::positive);
    bucket_of_unit[i] = bucket;
    count(result, bucket);
    count(result.groups[g], bucket);
    if (bucket != Bucket::used) continue;
    const double wi = weight_of(w, i);
    result.total_weight += wi;
    result.groups[g].total_weight += wi;
    weighted_sum += wi * y[i];
    group_weighted_sum[g] += wi * y[i];
  }
  if (!(result.total_weight > 0)) return result;
  result.mean = weighted_sum / result.total_weight;
  for (std::size_t g = 0; g < result.groups.size(); ++g) {
    auto& group = result.groups[g];
    if (group.total_weight > 0) group.mean = group_weighted_sum[g] / group.total_weight;
  }

  double total_sum = 0;
  std::vector<double> group_sum(result.groups.size(), 0.0);
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (bucket_of_unit[i] != Bucket::used) continue;
    const double wi = weight_of(w, i);
    const std::size_t g = group_of_unit[i];
    total_sum += wi * theil_term(index, y[i], result.mean);
    // A zero-weight group has no mean; its units add nothing anyway.
    if (result.groups[g].total_weight > 0)
      group_sum[g] += wi * theil_term(index, y[i], result.groups[g].mean);
  }
  result.total = total_sum / result.total_weight;

  result.within = 0;
  result.between = 0;
  for (std::size_t g = 0; g < result.groups.size(); ++g) {
    auto& group = result.groups[g];
    if (!(group.total_weight > 0)) continue;
    group.index = group_sum[g] / group.total_weight;
    group.population_share = group.total_weight / result.total_weight;
    group.income_share = group_weighted_sum[g] / weighted_sum;
    const double log_mean_ratio = std::log(group.mean / result.mean);
    if (index == TheilIndex::T) {
      group.share = group.income_share;
      group.between_contribution = group.income_share * log_mean_ratio;
    } else {
      group.share = group.population_share;
      group.between_contribution = -group.population_share * log_mean_ratio;
    }
    group.within_contribution = group.share * group.index;
    result.within += group.within_contribution;
    result.between += group.between_contribution;
  }
  return result;
}

Decomposition theil_decomposition(TheilIndex index, std::span<const double> y,
                                  std::span<const double> w,
                                  std::span<const std::int64_t> group_codes,
                                  std::span<const std::uint8_t> include) {
  std::vector<std::string> labels;
  labels.reserve(group_codes.size());
  for (const std::int64_t code : group_codes) labels.push_back(std::to_string(code));
  return theil_decomposition(index, y, w, std::span<const std::string>(labels), include);
}

}  // namespace nl
