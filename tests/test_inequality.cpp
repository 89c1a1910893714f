// Inequality measures against hand computations, the population-formula definitions, and the
// exact within/between identity of the Theil decompositions.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/inequality.hpp"

namespace {

using Values = std::vector<double>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The population-formula definition, O(n²), as the reference for the sorted evaluation.
double brute_force_gini(const Values& y, const Values& w) {
  double total_weight = 0, weighted_sum = 0, pair_sum = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    total_weight += w[i];
    weighted_sum += w[i] * y[i];
    for (std::size_t j = 0; j < y.size(); ++j) pair_sum += w[i] * w[j] * std::abs(y[i] - y[j]);
  }
  const double mean = weighted_sum / total_weight;
  return pair_sum / (2 * total_weight * total_weight * mean);
}

Values lognormal_sample(std::mt19937& rng, std::size_t n) {
  std::lognormal_distribution<double> value(0.0, 1.2);
  Values y(n);
  for (double& v : y) v = value(rng);
  return y;
}

Values uniform_weights(std::mt19937& rng, std::size_t n) {
  std::uniform_real_distribution<double> weight(0.1, 10.0);
  Values w(n);
  for (double& v : w) v = weight(rng);
  return w;
}

}  // namespace

TEST_CASE("Gini of {1,2,3,4} is 0.25") {
  // Σ_{i<j}|yᵢ − yⱼ| = 1+2+3+1+2+1 = 10, so the double sum is 20; 2·n²·μ = 2·16·2.5 = 80.
  const Values y{1, 2, 3, 4};
  const auto g = nl::gini(y);
  CHECK(g.value == doctest::Approx(0.25).epsilon(1e-15));
  CHECK(g.n_used == 4);
  CHECK(g.total_weight == 4);
  CHECK(g.mean == 2.5);
}

TEST_CASE("weighted Gini by hand equals the Gini of the expanded unweighted set") {
  // y = {1, 2}, w = {3, 1}: W = 4, μ = (3·1 + 1·2)/4 = 1.25.
  // Σᵢ Σⱼ wᵢwⱼ|yᵢ − yⱼ| = 2·(3·1·|1 − 2|) = 6; G = 6 / (2·4²·1.25) = 6/40 = 0.15.
  const Values y{1, 2};
  const Values w{3, 1};
  CHECK(nl::gini(y, w).value == doctest::Approx(0.15).epsilon(1e-15));
  // Integer weights are repetitions: {1,1,1,2} has the same 3 unequal pairs, same 0.15.
  const Values expanded{1, 1, 1, 2};
  CHECK(nl::gini(expanded).value == doctest::Approx(0.15).epsilon(1e-15));

  // Random integer weights: the weighted value must equal the repeated-units value.
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> repetitions(1, 5);
  const Values values = lognormal_sample(rng, 40);
  Values weights, repeated;
  for (double v : values) {
    const int r = repetitions(rng);
    weights.push_back(r);
    for (int k = 0; k < r; ++k) repeated.push_back(v);
  }
  CHECK(nl::gini(values, weights).value ==
        doctest::Approx(nl::gini(repeated).value).epsilon(1e-12));
  CHECK(nl::theil_t(values, weights).value ==
        doctest::Approx(nl::theil_t(repeated).value).epsilon(1e-12));
  CHECK(nl::theil_l(values, weights).value ==
        doctest::Approx(nl::theil_l(repeated).value).epsilon(1e-12));
}

TEST_CASE("sorted O(n log n) Gini equals the O(n²) definition, ties included") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    Values y = lognormal_sample(rng, 200);
    // Ties and zeros are the cases a sorted evaluation most easily gets wrong.
    for (std::size_t i = 0; i < 40; ++i) y[i] = y[i + 40];
    for (std::size_t i = 80; i < 90; ++i) y[i] = 0;
    const Values w = uniform_weights(rng, y.size());
    CHECK(nl::gini(y, w).value == doctest::Approx(brute_force_gini(y, w)).epsilon(1e-12));
  }
}

TEST_CASE("Theil T and L of {1,2,3,4} in closed form") {
  const Values y{1, 2, 3, 4};
  // μ = 2.5; T = (1/(nμ)) Σ y ln y − ln μ = (2 ln2 + 3 ln3 + 8 ln2)/10 − ln 2.5
  //   = ln2 + 0.3 ln3 − ln2.5 = 0.3 ln3 − ln1.25 ≈ 0.106440.
  const double theil_t = 0.3 * std::log(3.0) - std::log(1.25);
  CHECK(nl::theil_t(y).value == doctest::Approx(theil_t).epsilon(1e-14));
  CHECK(theil_t == doctest::Approx(0.1064401).epsilon(1e-6));
  // L = ln μ − mean(ln y) = ln2.5 − ln(1·2·3·4)/4 = ln2.5 − ln24/4 ≈ 0.121777.
  const double theil_l = std::log(2.5) - std::log(24.0) / 4;
  CHECK(nl::theil_l(y).value == doctest::Approx(theil_l).epsilon(1e-14));
  CHECK(theil_l == doctest::Approx(0.1217772).epsilon(1e-6));
}

TEST_CASE("coefficient of variation by hand, standard deviation divided by W") {
  // {1,2,3,4}: μ = 2.5, Σ(y − μ)²/n = (2.25+0.25+0.25+2.25)/4 = 1.25, CV = √1.25/2.5 = 1/√5.
  const Values y{1, 2, 3, 4};
  CHECK(nl::coefficient_of_variation(y).value ==
        doctest::Approx(1.0 / std::sqrt(5.0)).epsilon(1e-15));
  // y = {1,2}, w = {3,1}: μ = 1.25, Σw(y − μ)²/W = (3·0.0625 + 0.5625)/4 = 3/16,
  // CV = (√3/4)/1.25 = √3/5.
  const Values y2{1, 2};
  const Values w2{3, 1};
  CHECK(nl::coefficient_of_variation(y2, w2).value ==
        doctest::Approx(std::sqrt(3.0) / 5).epsilon(1e-15));
}

TEST_CASE("variance of logs by hand") {
  // ln of {1, e, e²} is {0, 1, 2}: mean 1, Σ(d²)/3 = (1 + 0 + 1)/3 = 2/3.
  const double e = std::exp(1.0);
  const Values y{1, e, e * e};
  CHECK(nl::variance_of_logs(y).value == doctest::Approx(2.0 / 3.0).epsilon(1e-14));
  // Weights {2,1,1}: mean of logs (0+1+2)/4 = 0.75, Σw d² / W = (2·0.5625 + 0.0625 + 1.5625)/4
  // = 2.75/4 = 0.6875.
  const Values w{2, 1, 1};
  CHECK(nl::variance_of_logs(y, w).value == doctest::Approx(0.6875).epsilon(1e-14));
}

TEST_CASE("Theil decomposition: within + between = total for random data and groupings") {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 10; ++trial) {
    const std::size_t n = 50 + 100 * static_cast<std::size_t>(trial);
    const Values y = lognormal_sample(rng, n);
    const Values w = uniform_weights(rng, n);
    std::uniform_int_distribution<std::int64_t> group(1, 2 + trial);
    std::vector<std::int64_t> codes(n);
    for (auto& c : codes) c = group(rng);

    for (const auto index : {nl::TheilIndex::T, nl::TheilIndex::L}) {
      const auto d = nl::theil_decomposition(index, y, w, codes);
      // The identity is exact for any partition; only rounding separates the two sides.
      CHECK(std::abs(d.within + d.between - d.total) < 1e-12);
      const auto direct = index == nl::TheilIndex::T ? nl::theil_t(y, w) : nl::theil_l(y, w);
      CHECK(d.total == doctest::Approx(direct.value).epsilon(1e-14));
      double share_sum = 0;
      for (const auto& g : d.groups) share_sum += g.share;
      // Income shares (T) and population shares (L) each add up to 1.
      CHECK(share_sum == doctest::Approx(1.0).epsilon(1e-12));
      // Both between terms are non-negative by Jensen's inequality.
      CHECK(d.between >= -1e-15);
    }
  }
}

TEST_CASE("Theil decomposition by hand: two equal-valued groups are all between") {
  // Group 1 = {1,1}, group 2 = {3,3}: μ = 2, within-group indices are 0.
  // T: s₁ = 2·1/(4·2) = 0.25, s₂ = 0.75, between = 0.25 ln(1/2) + 0.75 ln(3/2).
  // L: population shares 0.5 each, between = 0.5 ln(2/1) + 0.5 ln(2/3) = 0.5 ln(4/3).
  const Values y{1, 1, 3, 3};
  const std::vector<std::int64_t> codes{1, 1, 2, 2};
  const auto t = nl::theil_decomposition(nl::TheilIndex::T, y, {}, codes);
  const double t_between = 0.25 * std::log(0.5) + 0.75 * std::log(1.5);
  CHECK(t.between == doctest::Approx(t_between).epsilon(1e-14));
  CHECK(t.total == doctest::Approx(t_between).epsilon(1e-14));
  CHECK(std::abs(t.within) < 1e-15);
  REQUIRE(t.groups.size() == 2);
  CHECK(t.groups[0].label == "1");
  CHECK(t.groups[1].label == "2");
  CHECK(t.groups[0].mean == 1);
  CHECK(t.groups[1].mean == 3);
  CHECK(t.groups[0].income_share == doctest::Approx(0.25));
  CHECK(t.groups[1].population_share == doctest::Approx(0.5));

  const auto l = nl::theil_decomposition(nl::TheilIndex::L, y, {}, codes);
  CHECK(l.between == doctest::Approx(0.5 * std::log(4.0 / 3.0)).epsilon(1e-14));
  CHECK(l.total == doctest::Approx(0.5 * std::log(4.0 / 3.0)).epsilon(1e-14));
  CHECK(std::abs(l.within) < 1e-15);
}

TEST_CASE("one group: between is 0 and within is the total") {
  std::mt19937 rng(99);
  const Values y = lognormal_sample(rng, 300);
  const Values w = uniform_weights(rng, 300);
  const std::vector<std::string> labels(300, "everyone");
  for (const auto index : {nl::TheilIndex::T, nl::TheilIndex::L}) {
    const auto d = nl::theil_decomposition(index, y, w, labels);
    // μ_g is computed exactly as μ, so ln(μ_g/μ) = ln 1 = 0.
    CHECK(std::abs(d.between) < 1e-15);
    CHECK(d.within == doctest::Approx(d.total).epsilon(1e-14));
    REQUIRE(d.groups.size() == 1);
    CHECK(d.groups[0].share == doctest::Approx(1.0).epsilon(1e-15));
  }
}

TEST_CASE("scale invariance: y·c leaves Gini, CV, T, L and variance of logs unchanged") {
  std::mt19937 rng(4242);
  const Values y = lognormal_sample(rng, 500);
  const Values w = uniform_weights(rng, 500);
  for (const double c : {1e-3, 3.7, 1e6}) {
    Values scaled = y;
    for (double& v : scaled) v *= c;
    // All five measures are homogeneous of degree 0 in y.
    CHECK(nl::gini(scaled, w).value == doctest::Approx(nl::gini(y, w).value).epsilon(1e-12));
    CHECK(nl::coefficient_of_variation(scaled, w).value ==
          doctest::Approx(nl::coefficient_of_variation(y, w).value).epsilon(1e-12));
    CHECK(nl::theil_t(scaled, w).value ==
          doctest::Approx(nl::theil_t(y, w).value).epsilon(1e-10));
    CHECK(nl::theil_l(scaled, w).value ==
          doctest::Approx(nl::theil_l(y, w).value).epsilon(1e-10));
    CHECK(nl::variance_of_logs(scaled, w).value ==
          doctest::Approx(nl::variance_of_logs(y, w).value).epsilon(1e-10));
  }
}

TEST_CASE("equal values give 0 for every measure") {
  // 7 is exact in binary and Σw·7/W with integer weights is exactly 7, so every ratio is 1.
  const Values y(6, 7.0);
  const Values w{1, 2, 3, 1, 2, 3};
  CHECK(nl::gini(y, w).value == 0);
  CHECK(nl::coefficient_of_variation(y, w).value == 0);
  CHECK(nl::variance_of_logs(y, w).value == 0);
  CHECK(nl::theil_t(y, w).value == 0);
  CHECK(nl::theil_l(y, w).value == 0);
  const std::vector<std::int64_t> codes{1, 2, 1, 2, 3, 3};
  const auto d = nl::theil_decomposition(nl::TheilIndex::T, y, w, codes);
  CHECK(d.total == 0);
  CHECK(d.within == 0);
  CHECK(d.between == 0);
}

TEST_CASE("zero, negative, NaN and flagged units are left out and counted per group") {
  //                 a   a   a    b    b     b   c   c   d
  const Values y{1, 0, 2, -2, kNaN, 5, 3, 4, 0};
  const std::vector<std::string> labels{"a", "a", "a", "b", "b", "b", "c", "c", "d"};
  //                                     the 5 in b and the 4 in c are flagged
  const std::vector<std::uint8_t> include{1, 1, 1, 1, 1, 0, 1, 0, 1};
  const auto d = nl::theil_decomposition(nl::TheilIndex::L, y, {}, labels, include);
  // Used: 1, 2 (a) and 3 (c). Non-positive: 0 (a), −2 (b), 0 (d). NaN: b. Flagged: b, c.
  CHECK(d.n_used == 3);
  CHECK(d.n_excluded_nonpositive == 3);
  CHECK(d.n_excluded_nan == 1);
  CHECK(d.n_excluded_flag == 2);
  REQUIRE(d.groups.size() == 4);
  const auto& a = d.groups[0];
  const auto& b = d.groups[1];
  const auto& c = d.groups[2];
  const auto& none_used = d.groups[3];
  CHECK(a.label == "a");
  CHECK(a.n_used == 2);
  CHECK(a.n_excluded_nonpositive == 1);
  CHECK(b.n_used == 0);
  CHECK(b.n_excluded_nonpositive == 1);
  CHECK(b.n_excluded_nan == 1);
  CHECK(b.n_excluded_flag == 1);
  CHECK(c.n_used == 1);
  CHECK(c.n_excluded_flag == 1);
  CHECK(none_used.label == "d");
  CHECK(none_used.n_excluded_nonpositive == 1);
  // Groups with nothing left are listed but contribute nothing.
  CHECK(std::isnan(b.mean));
  CHECK(b.share == 0);
  CHECK(b.within_contribution == 0);
  // The remaining units {1, 2, 3} alone: L = ln 2 − ln 6 / 3.
  CHECK(d.total == doctest::Approx(std::log(2.0) - std::log(6.0) / 3).epsilon(1e-14));
  CHECK(std::abs(d.within + d.between - d.total) < 1e-15);

  // The scalar Theil functions count the same way.
  const auto t = nl::theil_t(y, {}, include);
  CHECK(t.n_used == 3);
  CHECK(t.n_excluded_nonpositive == 3);
  CHECK(t.n_excluded_nan == 1);
  CHECK(t.n_excluded_flag == 2);
}

TEST_CASE("Gini and CV keep zeros, reject negatives and count NaN") {
  const Values with_zero{0, 0, 1, 3, kNaN};
  const auto g = nl::gini(with_zero);
  // {0,0,1,3}: Σ_{i<j}|Δ| = 1+3+1+3+2 = 10, G = 2·10/(2·16·1) = 0.625.
  CHECK(g.value == doctest::Approx(0.625).epsilon(1e-15));
  CHECK(g.n_used == 4);
  CHECK(g.n_excluded_nan == 1);
  CHECK(g.n_excluded_nonpositive == 0);
  CHECK(nl::coefficient_of_variation(with_zero).n_used == 4);

  const Values with_negative{1, -1, 2};
  CHECK_THROWS_AS(nl::gini(with_negative), std::invalid_argument);
  CHECK_THROWS_AS(nl::coefficient_of_variation(with_negative), std::invalid_argument);
  // A negative unit that is flagged out is never looked at.
  const std::vector<std::uint8_t> include{1, 0, 1};
  CHECK(nl::gini(with_negative, {}, include).n_excluded_flag == 1);

  // All zero: μ = 0, the Gini is undefined rather than 0.
  const Values zeros{0, 0, 0};
  CHECK(std::isnan(nl::gini(zeros).value));
}

TEST_CASE("flagged units give the same value as leaving them out") {
  std::mt19937 rng(31);
  const Values y = lognormal_sample(rng, 100);
  const Values w = uniform_weights(rng, 100);
  std::vector<std::uint8_t> include(100);
  Values kept_y, kept_w;
  for (std::size_t i = 0; i < y.size(); ++i) {
    include[i] = i % 3 != 0;
    if (include[i]) {
      kept_y.push_back(y[i]);
      kept_w.push_back(w[i]);
    }
  }
  const auto flagged = nl::gini(y, w, include);
  CHECK(flagged.n_excluded_flag == 34);  // i = 0, 3, …, 99
  CHECK(flagged.value == doctest::Approx(nl::gini(kept_y, kept_w).value).epsilon(1e-14));
  CHECK(nl::theil_t(y, w, include).value ==
        doctest::Approx(nl::theil_t(kept_y, kept_w).value).epsilon(1e-14));
}

TEST_CASE("malformed inputs are rejected") {
  const Values y{1, 2, 3};
  const Values short_weights{1, 2};
  const Values negative_weight{1, -1, 1};
  const Values infinite{1, std::numeric_limits<double>::infinity(), 2};
  const std::vector<std::string> two_labels{"a", "b"};
  CHECK_THROWS_AS(nl::gini(y, short_weights), std::invalid_argument);
  CHECK_THROWS_AS(nl::theil_t(y, negative_weight), std::invalid_argument);
  CHECK_THROWS_AS(nl::theil_l(infinite), std::invalid_argument);
  CHECK_THROWS_AS(nl::theil_decomposition(nl::TheilIndex::T, y, {}, two_labels),
                  std::invalid_argument);
}
