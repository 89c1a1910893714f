// OLS with classical and HC1 standard errors (Eigen).
#include "kernels/regression.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace nl {
namespace {

bool has_constant_column(const Eigen::MatrixXd& design) {
  for (Eigen::Index j = 0; j < design.cols(); ++j) {
    const double first = design(0, j);
    if (first != 0 && (design.col(j).array() == first).all()) return true;
  }
  return false;
}

}  // namespace

OlsResult ols(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, bool add_intercept) {
  if (X.rows() != y.size())
    throw std::invalid_argument("ols: X and y must have the same number of rows");
  if (!X.allFinite() || !y.allFinite())
    throw std::invalid_argument("ols: X and y must be finite");

  const Eigen::Index n = X.rows();
  const Eigen::Index k = X.cols() + (add_intercept ? 1 : 0);
  if (k == 0) throw std::invalid_argument("ols: no regressors");
  if (n <= k) throw std::invalid_argument("ols: need more observations than coefficients");

  Eigen::MatrixXd design(n, k);
  if (add_intercept) {
    design.col(0).setOnes();
    design.rightCols(X.cols()) = X;
  } else {
    design = X;
  }

  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
  if (qr.rank() < k) throw std::invalid_argument("ols: design matrix is rank deficient");

  OlsResult result;
  result.n = n;
  result.k = k;
  result.coefficients = qr.solve(y);
  result.residuals = y - design * result.coefficients;

  const double ssr = result.residuals.squaredNorm();
  const double dof = static_cast<double>(n - k);
  result.residual_variance = ssr / dof;

  // X·P = Q₁R, so (X'X)⁻¹ = P R⁻¹ R⁻ᵀ P' and (X'X)⁻¹X' = P R⁻¹ Q₁'. Working from R and Q₁ keeps
  // X'X, and its squared condition number, out of both covariance matrices.
  const auto r = qr.matrixR().topLeftCorner(k, k).triangularView<Eigen::Upper>();
  const Eigen::MatrixXd r_inverse = r.solve(Eigen::MatrixXd::Identity(k, k));
  const Eigen::MatrixXd permuted_r_inverse = qr.colsPermutation() * r_inverse;  // P R⁻¹
  const Eigen::MatrixXd xtx_inverse = permuted_r_inverse * permuted_r_inverse.transpose();

  const Eigen::MatrixXd thin_q = qr.householderQ() * Eigen::MatrixXd::Identity(n, k);
  const Eigen::MatrixXd residual_scaled_q = result.residuals.asDiagonal() * thin_q;
  const Eigen::MatrixXd hc0 = permuted_r_inverse *
                              (residual_scaled_q.transpose() * residual_scaled_q) *
                              permuted_r_inverse.transpose();
  const double hc1_scale = static_cast<double>(n) / dof;

  result.se_classical = (result.residual_variance * xtx_inverse.diagonal()).cwiseSqrt();
  result.se_hc1 = (hc1_scale * hc0.diagonal()).cwiseSqrt();
  result.t_hc1 = result.coefficients.cwiseQuotient(result.se_hc1);

  result.centred_r_squared = add_intercept || has_constant_column(design);
  const double tss = result.centred_r_squared ? (y.array() - y.mean()).square().sum()
                                              : y.squaredNorm();
  const double reference_dof = static_cast<double>(result.centred_r_squared ? n - 1 : n);
  // A constant y has nothing to explain: R² is undefined rather than 0 or 1.
  if (tss > 0) {
    result.r_squared = 1.0 - ssr / tss;
    result.adj_r_squared = 1.0 - (1.0 - result.r_squared) * reference_dof / dof;
  } else {
    result.r_squared = std::numeric_limits<double>::quiet_NaN();
    result.adj_r_squared = std::numeric_limits<double>::quiet_NaN();
  }
  return result;
}

double convergence_speed(double beta, double years) {
  if (!std::isfinite(years) || years <= 0)
    throw std::invalid_argument("convergence_speed: years must be positive and finite");
  const double beta_times_years = beta * years;
  if (!(1.0 + beta_times_years > 0)) return std::numeric_limits<double>::quiet_NaN();
  // log1p keeps precision for the small β·T typical of annual data.
  return -std::log1p(beta_times_years) / years;
}

}  // namespace nl
