// σ- and β-convergence over the releases of one level.
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

struct UnitSeries {
  std::string region;
  std::vector<double> brightness;   // NaN where not valid in that release
  std::vector<double> total_light;  // sum_area, NaN where not valid or not in the table
};

std::string fmt(double v) { return format_number(v); }

// ln GDP on ln total light over every (unit, release) with a valid, positive light and a GDP for
// the release's year; the other pairs are counted as left out. Not a balanced panel: a
// pooled cross-section, the usual specification for the elasticity.
std::string gdp_elasticity_rows(const std::string& level, const std::vector<std::string>& ids,
                                const std::map<std::string, UnitSeries>& units, const GdpTable& gdp) {
  std::vector<double> x, y;
  size_t left_out = 0;
  for (const auto& [code, u] : units)
    for (size_t r = 0; r < ids.size(); ++r) {
      const auto it = gdp.find({code, std::stoi(ids[r].substr(0, 4))});
      const double light = r < u.total_light.size() ? u.total_light[r] : NAN;
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

}  // namespace

LevelValues level_values(const ReleaseLevels& record, const std::string& level, double min_valid_fraction) {
  static const Statistic mean_area = parse_statistic("mean_area"), sum_area = parse_statistic("sum_area");
  for (size_t l = 0; l < record.levels.size(); ++l) {
    const LevelUnits& units = record.levels[l];
    if (units.name != level) continue;
    LevelValues v;
    v.codes = units.codes;
    v.regions = record.region_of_level[l];
    for (const ZoneAccumulator& a : units.acc) {
      const bool included = unit_included(a, min_valid_fraction);
      v.brightness.push_back(included ? statistic_value(a, mean_area).value_or(NAN) : NAN);
      v.total_light.push_back(included ? statistic_value(a, sum_area).value_or(NAN) : NAN);
    }
    return v;
  }
  throw UserError("release " + record.release + " has no level '" + level + "' for convergence");
}

ConvergenceTables convergence_tables(const std::string& level, const std::vector<std::string>& ids,
                                     const std::vector<LevelValues>& values, bool region_dummies,
                                     const GdpTable* gdp) {
  ConvergenceTables out;
  std::map<std::string, UnitSeries> units;
  const size_t releases = values.size();
  for (size_t r = 0; r < releases; ++r) {
    const LevelValues& v = values[r];
    for (size_t u = 0; u < v.codes.size(); ++u) {
      UnitSeries& s = units[v.codes[u]];
      s.brightness.resize(releases, NAN);
      s.total_light.resize(releases, NAN);
      if (!v.regions.empty()) s.region = v.regions[u];
      s.brightness[r] = v.brightness[u];
      s.total_light[r] = v.total_light[u];
    }
  }
  // The balanced panel: brightness > 0 (logs) in every release.
  std::vector<const UnitSeries*> balanced;
  std::vector<std::string> codes;
  size_t left_out = 0;
  for (const auto& [code, u] : units) {
    bool ok = u.brightness.size() == releases;
    for (double b : u.brightness) ok = ok && b > 0;
    if (ok) {
      balanced.push_back(&u);
      codes.push_back(code);
    } else {
      ++left_out;
    }
  }
  std::string& c = out.convergence_csv;
  const size_t n = balanced.size();
  for (size_t r = 0; r < releases; ++r) {
    double mean = 0, ss = 0;
    for (const auto* u : balanced) mean += std::log(u->brightness[r]);
    mean /= static_cast<double>(n);
    for (const auto* u : balanced) ss += std::pow(std::log(u->brightness[r]) - mean, 2);
    c += level + ",sigma," + csv_field(ids[r]) + ",sd_log_brightness," + fmt(n ? std::sqrt(ss / n) : NAN) + ",,,," +
         std::to_string(n) + "," + std::to_string(left_out) + ",,\n";
  }
  if (gdp) c += gdp_elasticity_rows(level, ids, units, *gdp);
  const double years = releases >= 2 ? release_time_years(ids.back()) - release_time_years(ids.front()) : 0;
  std::string growth = "level,code,region,brightness_first,brightness_last,years,growth_annual\n";
  Eigen::VectorXd g(n), x(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& b = balanced[i]->brightness;
    x(i) = std::log(b.front());
    g(i) = years > 0 ? (std::log(b.back()) - std::log(b.front())) / years : NAN;
    growth += level + "," + csv_field(codes[i]) + "," + csv_field(balanced[i]->region) + "," + fmt(b.front()) + "," +
              fmt(b.back()) + "," + fmt(years) + "," + fmt(g(i)) + "\n";
  }
  out.growth_csv.emplace_back(level, growth);
  if (!(years > 0)) {
    log_warning("convergence at level " + level + ": fewer than two releases, no β-convergence fit");
    return out;
  }
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
  return out;
}

}  // namespace nl
