// OLS against closed forms, an exactly linear case, and HC1 rebuilt with plain loops; and the
// convergence-speed transform.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/regression.hpp"

namespace {

using Matrix = std::vector<std::vector<double>>;

// Gauss–Jordan with partial pivoting: an inverse that shares no code with Eigen's QR.
Matrix invert(Matrix a) {
  const std::size_t k = a.size();
  Matrix inverse(k, std::vector<double>(k, 0.0));
  for (std::size_t i = 0; i < k; ++i) inverse[i][i] = 1;
  for (std::size_t col = 0; col < k; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < k; ++r)
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    std::swap(a[col], a[pivot]);
    std::swap(inverse[col], inverse[pivot]);
    const double diagonal = a[col][col];
    for (std::size_t c = 0; c < k; ++c) {
      a[col][c] /= diagonal;
      inverse[col][c] /= diagonal;
    }
    for (std::size_t r = 0; r < k; ++r) {
      if (r == col) continue;
      const double factor = a[r][col];
      for (std::size_t c = 0; c < k; ++c) {
        a[r][c] -= factor * a[col][c];
        inverse[r][c] -= factor * inverse[col][c];
      }
    }
  }
  return inverse;
}

Eigen::MatrixXd random_regressors(std::mt19937& rng, Eigen::Index n, Eigen::Index k) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::MatrixXd X(n, k);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < k; ++j) X(i, j) = normal(rng) * (1.0 + j);
  return X;
}

}  // namespace

TEST_CASE("one regressor matches the closed form, HC1 by the scalar formula") {
  const std::vector<double> xs{1, 2, 4, 5, 7, 8, 10, 13};
  const std::vector<double> ys{2.1, 2.9, 5.2, 5.1, 8.4, 8.0, 11.7, 13.2};
  const std::size_t n = xs.size();
  double x_mean = 0, y_mean = 0;
  for (std::size_t i = 0; i < n; ++i) {
    x_mean += xs[i] / n;
    y_mean += ys[i] / n;
  }
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxx += (xs[i] - x_mean) * (xs[i] - x_mean);
    sxy += (xs[i] - x_mean) * (ys[i] - y_mean);
  }
  const double slope = sxy / sxx;
  const double intercept = y_mean - slope * x_mean;
  // HC1 for the slope: n/(n−2) · Σ (xᵢ − x̄)² eᵢ² / Sxx²; classical: s²/Sxx.
  double meat = 0, ssr = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = ys[i] - intercept - slope * xs[i];
    meat += (xs[i] - x_mean) * (xs[i] - x_mean) * e * e;
    ssr += e * e;
  }
  const double dof = static_cast<double>(n) - 2;
  const double hc1_slope_se = std::sqrt(n / dof * meat / (sxx * sxx));
  const double classical_slope_se = std::sqrt(ssr / dof / sxx);

  Eigen::MatrixXd X(n, 1);
  Eigen::VectorXd y(n);
  for (std::size_t i = 0; i < n; ++i) {
    X(i, 0) = xs[i];
    y(i) = ys[i];
  }
  const auto fit = nl::ols(X, y, true);
  REQUIRE(fit.coefficients.size() == 2);
  CHECK(std::abs(fit.coefficients(0) - intercept) < 1e-10);
  CHECK(std::abs(fit.coefficients(1) - slope) < 1e-10);
  CHECK(std::abs(fit.se_hc1(1) - hc1_slope_se) < 1e-8);
  CHECK(std::abs(fit.se_classical(1) - classical_slope_se) < 1e-8);
  CHECK(fit.t_hc1(1) == doctest::Approx(slope / hc1_slope_se).epsilon(1e-10));
  CHECK(fit.residual_variance == doctest::Approx(ssr / dof).epsilon(1e-12));
  CHECK(fit.n == 8);
  CHECK(fit.k == 2);
}

TEST_CASE("R² by hand: x = {1,2,3,4}, y = {1,3,2,4}") {
  // x̄ = ȳ = 2.5, Sxx = 5, Sxy = 2.25 − 0.25 − 0.25 + 2.25 = 4 → b = 0.8, a = 0.5.
  // Fitted {1.3, 2.1, 2.9, 3.7}, e = {−0.3, 0.9, −0.9, 0.3}, SSR = 1.8, SST = 5.
  // R² = 1 − 1.8/5 = 0.64; adjusted = 1 − 0.36·(4−1)/(4−2) = 0.46; s² = 1.8/2 = 0.9.
  Eigen::MatrixXd X(4, 1);
  X << 1, 2, 3, 4;
  Eigen::VectorXd y(4);
  y << 1, 3, 2, 4;
  const auto fit = nl::ols(X, y, true);
  CHECK(fit.coefficients(0) == doctest::Approx(0.5).epsilon(1e-14));
  CHECK(fit.coefficients(1) == doctest::Approx(0.8).epsilon(1e-14));
  CHECK(fit.r_squared == doctest::Approx(0.64).epsilon(1e-14));
  CHECK(fit.adj_r_squared == doctest::Approx(0.46).epsilon(1e-14));
  CHECK(fit.residual_variance == doctest::Approx(0.9).epsilon(1e-14));
  CHECK(fit.residuals(1) == doctest::Approx(0.9).epsilon(1e-13));

  // Supplying the constant column by hand is the same model, so R² stays centred.
  Eigen::MatrixXd with_constant(4, 2);
  with_constant << 1, 1, 1, 2, 1, 3, 1, 4;
  const auto same = nl::ols(with_constant, y, false);
  CHECK(same.centred_r_squared);
  CHECK(same.r_squared == doctest::Approx(0.64).epsilon(1e-14));
}

TEST_CASE("an exact linear combination is recovered with zero residuals") {
  std::mt19937 rng(2024);
  const Eigen::Index n = 60;
  const Eigen::MatrixXd X = random_regressors(rng, n, 4);
  Eigen::VectorXd truth(5);
  truth << 1.5, 2.0, -0.5, 3.0, -1.25;
  const Eigen::VectorXd y = truth(0) + (X * truth.tail(4)).array();
  const auto fit = nl::ols(X, y, true);
  REQUIRE(fit.coefficients.size() == 5);
  for (Eigen::Index j = 0; j < 5; ++j) CHECK(std::abs(fit.coefficients(j) - truth(j)) < 1e-10);
  CHECK(fit.residuals.cwiseAbs().maxCoeff() < 1e-10);
  CHECK(fit.r_squared == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("several regressors: HC1 equals a sandwich built with explicit loops") {
  std::mt19937 rng(77);
  std::normal_distribution<double> noise(0.0, 1.0);
  const Eigen::Index n = 80;
  const Eigen::Index p = 3;
  const Eigen::MatrixXd X = random_regressors(rng, n, p);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    // Noise growing with |x₀| makes HC1 differ visibly from the classical errors.
    y(i) = 0.3 + 1.1 * X(i, 0) - 0.7 * X(i, 1) + 0.2 * X(i, 2) +
           noise(rng) * (0.5 + std::abs(X(i, 0)));
  }
  const auto fit = nl::ols(X, y, true);

  const std::size_t k = p + 1;
  const auto design = [&](std::size_t i, std::size_t j) {
    return j == 0 ? 1.0 : X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j - 1));
  };
  Matrix xtx(k, std::vector<double>(k, 0.0));
  std::vector<double> xty(k, 0.0);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
    for (std::size_t a = 0; a < k; ++a) {
      xty[a] += design(i, a) * y(static_cast<Eigen::Index>(i));
      for (std::size_t b = 0; b < k; ++b) xtx[a][b] += design(i, a) * design(i, b);
    }
  const Matrix bread = invert(xtx);
  std::vector<double> beta(k, 0.0);
  for (std::size_t a = 0; a < k; ++a)
    for (std::size_t b = 0; b < k; ++b) beta[a] += bread[a][b] * xty[b];

  // Meat Σᵢ eᵢ² xᵢ xᵢ', then bread · meat · bread, then × n/(n − k).
  Matrix meat(k, std::vector<double>(k, 0.0));
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    double e = y(static_cast<Eigen::Index>(i));
    for (std::size_t a = 0; a < k; ++a) e -= design(i, a) * beta[a];
    for (std::size_t a = 0; a < k; ++a)
      for (std::size_t b = 0; b < k; ++b) meat[a][b] += e * e * design(i, a) * design(i, b);
  }
  const double scale = static_cast<double>(n) / static_cast<double>(n - static_cast<long>(k));
  for (std::size_t j = 0; j < k; ++j) {
    double variance = 0;
    for (std::size_t a = 0; a < k; ++a)
      for (std::size_t b = 0; b < k; ++b) variance += bread[j][a] * meat[a][b] * bread[b][j];
    const auto jj = static_cast<Eigen::Index>(j);
    CHECK(std::abs(fit.coefficients(jj) - beta[j]) < 1e-10);
    CHECK(std::abs(fit.se_hc1(jj) - std::sqrt(scale * variance)) < 1e-8);
    CHECK(fit.t_hc1(jj) == doctest::Approx(beta[j] / std::sqrt(scale * variance)).epsilon(1e-8));
  }
  // The heteroskedastic noise is tied to x₀, so its robust error exceeds the classical one.
  CHECK(fit.se_hc1(1) > fit.se_classical(1));
}

TEST_CASE("ols rejects n ≤ k, rank deficiency and mismatched sizes") {
  std::mt19937 rng(5);
  const Eigen::MatrixXd small = random_regressors(rng, 3, 2);
  const Eigen::VectorXd y3 = Eigen::VectorXd::Ones(3);
  // Intercept + 2 regressors = 3 coefficients from 3 observations: nothing left for s².
  CHECK_THROWS_AS(nl::ols(small, y3, true), std::invalid_argument);

  Eigen::MatrixXd collinear = random_regressors(rng, 20, 2);
  collinear.col(1) = 2.0 * collinear.col(0);
  const Eigen::VectorXd y20 = Eigen::VectorXd::LinSpaced(20, 0.0, 1.0);
  CHECK_THROWS_AS(nl::ols(collinear, y20, true), std::invalid_argument);

  // A constant regressor duplicates the added intercept.
  Eigen::MatrixXd constant = random_regressors(rng, 20, 1);
  constant.col(0).setConstant(4.0);
  CHECK_THROWS_AS(nl::ols(constant, y20, true), std::invalid_argument);

  CHECK_THROWS_AS(nl::ols(random_regressors(rng, 20, 1), y3, true), std::invalid_argument);
}

TEST_CASE("convergence speed −ln(1 + βT)/T") {
  // β = 0: no convergence.
  CHECK(nl::convergence_speed(0.0, 10.0) == 0.0);
  // β = −0.05, T = 10: 1 + βT = 0.5 → ln 2 / 10 ≈ 0.0693147.
  CHECK(nl::convergence_speed(-0.05, 10.0) == doctest::Approx(std::log(2.0) / 10).epsilon(1e-15));
  // β = 0.01, T = 10: divergence, −ln 1.1 / 10 < 0.
  CHECK(nl::convergence_speed(0.01, 10.0) == doctest::Approx(-std::log(1.1) / 10).epsilon(1e-15));
  // Tiny β: the speed tends to −β.
  CHECK(nl::convergence_speed(-1e-9, 5.0) == doctest::Approx(1e-9).epsilon(1e-8));
  // 1 + βT = 0 and < 0: no finite speed.
  CHECK(std::isnan(nl::convergence_speed(-0.1, 10.0)));
  CHECK(std::isnan(nl::convergence_speed(-0.2, 10.0)));
  CHECK_THROWS_AS(nl::convergence_speed(-0.01, 0.0), std::invalid_argument);
}
