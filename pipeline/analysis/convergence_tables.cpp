// σ- and β-convergence over the releases of one level, written from the level's state
// (convergence_state.hpp) so that a full rebuild and a run adding one release print the same bytes.
#include "pipeline/analysis/convergence_tables.hpp"

#include <cmath>
#include <map>
#include <set>

#include "kernels/regression.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

double release_time_years(const std::string& id) {
  const int year = std::stoi(id.substr(0, 4));
  double t = year;
  if (id.size() >= 7) t += (std::stoi(id.substr(5, 2)) - 1) / 12.0;
  if (id.size() >= 10) t += (std::stoi(id.substr(8, 2)) - 1) / 365.25;
  return t;
}

std::string convergence_csv_header() {
  return "level,kind,release,term,estimate,se_hc1,t,r_squared,n,n_left_out,lambda,years\n";
}

namespace {

std::string fmt(double v) { return format_number(v); }

// ln GDP on ln total light over every (unit, release) with a valid, positive light and a GDP for
// the release's year; the other pairs are counted as left out. Not a balanced panel: a
// pooled cross-section, the usual specification for the elasticity.
std::string gdp_elasticity_rows(const std::string& level, const std::vector<std::string>& ids,
                                const std::vector<LevelValues>& values, const GdpTable& gdp) {
  std::map<std::string, std::vector<double>> units;  // [code][release]: sum_area, NaN where absent
  for (size_t r = 0; r < values.size(); ++r)
    for (size_t u = 0; u < values[r].codes.size(); ++u) {
      auto& light = units[values[r].codes[u]];
      light.resize(values.size(), NAN);
      light[r] = values[r].total_light[u];
    }
  std::vector<double> x, y;
  size_t left_out = 0;
  for (const auto& [code, total_light] : units)
    for (size_t r = 0; r < ids.size(); ++r) {
      const auto it = gdp.find({code, std::stoi(ids[r].substr(0, 4))});
      const double light = r < total_light.size() ? total_light[r] : NAN;
      if (it == gdp.end() || !(light > 0)) {
        ++left_out;
        continue;
      }
      x.push_back(std::log(light));
      y.push_back(std::log(it->second));
    }
  const auto n = static_cast<Eigen::Index>(x.size());
  Eigen::MatrixXd X(n, 1);
  Eigen::VectorXd Y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    X(i, 0) = x[static_cast<size_t>(i)];
    Y(i) = y[static_cast<size_t>(i)];
  }
  OlsResult r;
  try {
    r = ols(X, Y, true);
  } catch (const std::invalid_argument& e) {
    log_warning("lights–GDP elasticity at level " + level + ": " + e.what());
    return "";
  }
  std::string rows;
  const char* terms[] = {"intercept", "log_total_light"};
  for (int k = 0; k < 2; ++k)
    rows += level + ",gdp_elasticity,," + terms[k] + "," + fmt(r.coefficients(k)) + "," + fmt(r.se_hc1(k)) + "," +
            fmt(r.t_hc1(k)) + "," + fmt(r.r_squared) + "," + std::to_string(r.n) + "," + std::to_string(left_out) +
            ",,\n";
  return rows;
}

// The β fits (without and with region dummies) on the balanced units' growth.
void beta_rows(std::string& c, const std::string& level, const std::vector<const UnitSummary*>& balanced,
               const Eigen::VectorXd& x, const Eigen::VectorXd& g, double years, size_t left_out,
               bool region_dummies) {
  const size_t n = balanced.size();
  auto fit = [&](const std::string& kind, bool dummies) {
    std::vector<std::string> regions;
    if (dummies) {
      std::set<std::string> set;
      for (const auto* u : balanced) set.insert(u->region);
      regions.assign(set.begin(), set.end());
      if (regions.size() < 2) return;
      regions.erase(regions.begin());  // the first region is the base
    }
    Eigen::MatrixXd X(n, 1 + regions.size());
    X.col(0) = x;
    for (size_t k = 0; k < regions.size(); ++k)
      for (size_t i = 0; i < n; ++i) X(i, 1 + k) = balanced[i]->region == regions[k] ? 1.0 : 0.0;
    OlsResult r;
    try {
      r = ols(X, g, true);
    } catch (const std::invalid_argument& e) {
      log_warning("convergence at level " + level + " (" + kind + "): " + e.what());
      return;
    }
    std::vector<std::string> terms{"intercept", "log_initial_brightness"};
    for (const auto& reg : regions) terms.push_back("region_" + reg);
    for (size_t k = 0; k < terms.size(); ++k) {
      const double lambda = k == 1 ? convergence_speed(r.coefficients(1), years) : NAN;
      c += level + "," + kind + ",," + csv_field(terms[k]) + "," + fmt(r.coefficients(k)) + "," + fmt(r.se_hc1(k)) +
           "," + fmt(r.t_hc1(k)) + "," + fmt(r.r_squared) + "," + std::to_string(r.n) + "," +
           std::to_string(left_out) + "," + fmt(lambda) + "," + fmt(years) + "\n";
    }
  };
  fit("beta", false);
  if (region_dummies) fit("beta_regions", true);
}

}  // namespace

ConvergenceTables convergence_tables(const std::string& level, const std::vector<std::string>& ids,
                                     const std::vector<LevelValues>& values, bool region_dummies,
                                     const GdpTable* gdp) {
  return convergence_tables(level, ids, convergence_state(values), region_dummies, gdp, &values);
}

ConvergenceTables convergence_tables(const std::string& level, const std::vector<std::string>& ids,
                                     const ConvergenceState& state, bool region_dummies, const GdpTable* gdp,
                                     const std::vector<LevelValues>* values) {
  if (state.sigma.size() != ids.size())
    throw std::logic_error("convergence at level " + level + ": a state of " + std::to_string(state.sigma.size()) +
                           " releases for " + std::to_string(ids.size()) + " ids");
  ConvergenceTables out;
  // The balanced panel: brightness > 0 (logs) in every release.
  std::vector<const UnitSummary*> balanced;
  std::vector<const std::string*> codes;
  for (const auto& [code, u] : state.units)
    if (u.balanced) {
      balanced.push_back(&u);
      codes.push_back(&code);
    }
  const size_t n = balanced.size(), left_out = state.units.size() - n;
  std::string& c = out.convergence_csv;
  // One σ row per release: with thousands of releases these rows are most of the file, so the
  // parts that do not change between rows are made once.
  const std::string sigma_prefix = level + ",sigma,",
                    sigma_suffix = ",,,," + std::to_string(n) + "," + std::to_string(left_out) + ",,\n";
  c.reserve(ids.size() * (sigma_prefix.size() + sigma_suffix.size() + 48));
  for (size_t r = 0; r < ids.size(); ++r) {
    c += sigma_prefix;
    c += csv_field(ids[r]);
    c += ",sd_log_brightness,";
    c += fmt(state.sigma[r]);
    c += sigma_suffix;
  }
  if (gdp) {
    if (!values) throw std::logic_error("convergence at level " + level + ": the GDP elasticity needs every release");
    c += gdp_elasticity_rows(level, ids, *values, *gdp);
  }
  const size_t releases = ids.size();
  const double years = releases >= 2 ? release_time_years(ids.back()) - release_time_years(ids.front()) : 0;
  std::string growth = "level,code,region,brightness_first,brightness_last,years,growth_annual\n";
  Eigen::VectorXd g(n), x(n);
  for (size_t i = 0; i < n; ++i) {
    const UnitSummary& u = *balanced[i];
    x(i) = std::log(u.first);
    g(i) = years > 0 ? (std::log(u.last) - std::log(u.first)) / years : NAN;
    growth += level + "," + csv_field(*codes[i]) + "," + csv_field(u.region) + "," + fmt(u.first) + "," +
              fmt(u.last) + "," + fmt(years) + "," + fmt(g(i)) + "\n";
  }
  out.growth_csv.emplace_back(level, growth);
  if (!(years > 0)) {
    log_warning("convergence at level " + level + ": fewer than two releases, no β-convergence fit");
    return out;
  }
  beta_rows(c, level, balanced, x, g, years, left_out, region_dummies);
  return out;
}

}  // namespace nl
