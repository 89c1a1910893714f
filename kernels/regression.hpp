// Ordinary least squares with classical and HC1 (White) robust standard errors, for growth and
// convergence regressions across units, and the implied annual speed of convergence.
#pragma once
#include <Eigen/Dense>

namespace nl {

struct OlsResult {
  // With add_intercept the intercept is coefficient 0 and X's columns follow in order.
  Eigen::VectorXd coefficients;
  Eigen::VectorXd se_classical;  // sqrt(s² · diag((X'X)⁻¹))
  Eigen::VectorXd se_hc1;        // White sandwich scaled by n/(n − k)
  Eigen::VectorXd t_hc1;         // coefficients / se_hc1
  Eigen::VectorXd residuals;
  // Centred (about ȳ) when the design holds a constant column, whether added here or supplied
  // in X; uncentred (about 0) otherwise, as for any regression through the origin.
  double r_squared = 0;
  double adj_r_squared = 0;
  double residual_variance = 0;  // s² = Σe² / (n − k)
  Eigen::Index n = 0;
  Eigen::Index k = 0;            // columns of the design, intercept included
  bool centred_r_squared = false;
};

// Solves by column-pivoting Householder QR rather than the normal equations, which square the
// condition number. Throws std::invalid_argument when sizes disagree, a value is not finite,
// n ≤ k, or the design is rank deficient.
OlsResult ols(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, bool add_intercept);

// Annual convergence speed implied by a β from regressing growth over `years` on the initial
// log level: −ln(1 + β·T)/T. NaN when 1 + β·T ≤ 0 (no speed is consistent with such a β);
// std::invalid_argument when years is not a positive finite number.
double convergence_speed(double beta, double years);

}  // namespace nl
