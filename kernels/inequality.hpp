// Weighted inequality measures across units (Gini, coefficient of variation, variance of logs,
// Theil T and L) and the exact within/between-group decomposition of the two Theil indices.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace nl {

// Conventions shared by every function below.
//
// Inputs: values y, weights w (area, population, …) and an optional include flag per unit. An
// empty `w` means every weight is 1; an empty `include` means every unit is included; otherwise
// each must have y.size() elements (std::invalid_argument if not). `include` is uint8_t rather
// than bool because std::vector<bool> cannot be viewed as a span.
//
// Every unit lands in exactly one bucket, checked in this order:
//   include == 0                      → n_excluded_flag (e.g. too little valid coverage)
//   y is NaN                          → n_excluded_nan
//   y ≤ 0 (log and Theil measures)    → n_excluded_nonpositive
//   otherwise                         → n_used
// Gini and CV accept y = 0 but throw std::invalid_argument on a negative y; every measure throws
// on y = ±Inf and on a weight that is negative or not finite. Only used units are validated, so a
// flagged unit may carry any value and weight.
//
// Weights act as population shares (w/W), so an integer weight equals repeating the unit that
// many times. A measure that is undefined (no weight, or zero mean) is NaN.

struct InequalityResult {
  double value = std::numeric_limits<double>::quiet_NaN();
  std::size_t n_used = 0;
  std::size_t n_excluded_flag = 0;
  std::size_t n_excluded_nan = 0;
  std::size_t n_excluded_nonpositive = 0;
  double total_weight = 0;  // W = Σ w over used units
  double mean = std::numeric_limits<double>::quiet_NaN();  // μ = Σ w·y / W over used units
};

// G = Σᵢ Σⱼ wᵢwⱼ|yᵢ − yⱼ| / (2 W² μ), evaluated in O(n log n) after sorting by y.
InequalityResult gini(std::span<const double> y, std::span<const double> w = {},
                      std::span<const std::uint8_t> include = {});

// Williamson's weighted CV: sqrt(Σ w (y − μ)² / W) / μ.
InequalityResult coefficient_of_variation(std::span<const double> y,
                                          std::span<const double> w = {},
                                          std::span<const std::uint8_t> include = {});

// Σ w (ln y − m)² / W with m the weighted mean of ln y; `mean` in the result is still μ of y.
InequalityResult variance_of_logs(std::span<const double> y, std::span<const double> w = {},
                                  std::span<const std::uint8_t> include = {});

// Theil T = (1/W) Σ w (y/μ) ln(y/μ).
InequalityResult theil_t(std::span<const double> y, std::span<const double> w = {},
                         std::span<const std::uint8_t> include = {});

// Theil L, the mean log deviation = (1/W) Σ w ln(μ/y).
InequalityResult theil_l(std::span<const double> y, std::span<const double> w = {},
                         std::span<const std::uint8_t> include = {});

enum class TheilIndex { T, L };

struct GroupPart {
  std::string label;
  std::size_t n_used = 0;
  std::size_t n_excluded_flag = 0;
  std::size_t n_excluded_nan = 0;
  std::size_t n_excluded_nonpositive = 0;
  double total_weight = 0;                                  // W_g
  double mean = std::numeric_limits<double>::quiet_NaN();   // μ_g
  double index = std::numeric_limits<double>::quiet_NaN();  // T_g or L_g within the group
  double population_share = 0;                              // W_g / W
  double income_share = 0;                                  // s_g = W_g μ_g / (W μ)
  // The share that weights this group in the decomposition: income share for T, population
  // share for L.
  double share = 0;
  double within_contribution = 0;   // share · index
  double between_contribution = 0;  // s_g ln(μ_g/μ) for T, (W_g/W) ln(μ/μ_g) for L
};

struct Decomposition {
  TheilIndex index = TheilIndex::T;
  // `total` is computed directly from the units, not as within + between, so their agreement is
  // a check rather than an identity by construction.
  double total = std::numeric_limits<double>::quiet_NaN();
  double within = std::numeric_limits<double>::quiet_NaN();
  double between = std::numeric_limits<double>::quiet_NaN();
  std::size_t n_used = 0;
  std::size_t n_excluded_flag = 0;
  std::size_t n_excluded_nan = 0;
  std::size_t n_excluded_nonpositive = 0;
  double total_weight = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();
  // In order of each label's first appearance in the input. A group whose units were all
  // excluded is still listed, with its exclusion counts, NaN mean and index, and zero shares.
  std::vector<GroupPart> groups;
};

Decomposition theil_decomposition(TheilIndex index, std::span<const double> y,
                                  std::span<const double> w,
                                  std::span<const std::string> group_labels,
                                  std::span<const std::uint8_t> include = {});

// Integer group codes (e.g. admin ids); labels in the result are their decimal text.
Decomposition theil_decomposition(TheilIndex index, std::span<const double> y,
                                  std::span<const double> w,
                                  std::span<const std::int64_t> group_codes,
                                  std::span<const std::uint8_t> include = {});

}  // namespace nl
