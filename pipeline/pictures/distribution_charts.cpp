// The β-convergence scatter and the Lorenz curves (see panel_charts.hpp): charts of the units'
// distribution rather than of releases, drawn with xy_chart.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "pipeline/io/output_file.hpp"
#include "pipeline/pictures/panel_charts.hpp"
#include "pipeline/pictures/run_tables.hpp"
#include "pipeline/pictures/xy_chart.hpp"

namespace nl {

namespace {

// The β row of `level` in convergence.csv (kind beta, term log_initial_brightness) and its intercept.
struct BetaFit {
  double beta = NAN, se = NAN, intercept = NAN, lambda = NAN, r2 = NAN, years = NAN, n = NAN;
};

BetaFit beta_fit(const NamedTable& t, const std::string& level) {
  BetaFit f;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (t.at(r, "level") != level || t.at(r, "kind") != "beta") continue;
    if (t.at(r, "term") == "intercept") f.intercept = t.number(r, "estimate");
    if (t.at(r, "term") != "log_initial_brightness") continue;
    f.beta = t.number(r, "estimate"), f.se = t.number(r, "se_hc1"), f.lambda = t.number(r, "lambda");
    f.r2 = t.number(r, "r_squared"), f.years = t.number(r, "years"), f.n = t.number(r, "n");
  }
  return f;
}

void beta_chart(const std::string& out, const RunConfig& config, const std::string& level, const NamedTable& conv,
                PanelChartList& list) {
  const std::string title = "\u03b2-convergence of " + level + " units";
  const auto growth = read_named_table(out + "/panel/growth_" + level + ".csv");
  const BetaFit f = beta_fit(conv, level);
  if (!growth || growth->rows.size() < 3 || !std::isfinite(f.beta))
    return list.not_drawn.push_back(title + ": the balanced panel has too few units for a fit (see panel/convergence.csv, n and n_left_out).");
  XYChart c;
  c.title = title;
  c.x_label = "ln initial brightness (ln mean_area, " + config.releases.units + ", first release)";
  c.y_label = "annual growth of ln mean_area (per year)";
  // One colour per region (at most six, in order of appearance), so regional clubs show.
  std::vector<std::string> regions;
  for (size_t r = 0; r < growth->rows.size(); ++r)
    if (std::find(regions.begin(), regions.end(), growth->at(r, "region")) == regions.end()) regions.push_back(growth->at(r, "region"));
  if (regions.size() > 6) regions.assign(1, "");
  double lo = INFINITY, hi = -INFINITY;
  for (size_t g = 0; g < regions.size(); ++g) {
    XYSeries s{XYSeries::points, regions[g].empty() ? level + " units" : regions[g], {}, {}, static_cast<int>(g)};
    for (size_t r = 0; r < growth->rows.size(); ++r) {
      if (regions.size() > 1 && growth->at(r, "region") != regions[g]) continue;
      const double x = std::log(growth->number(r, "brightness_first"));
      s.x.push_back(x), s.y.push_back(growth->number(r, "growth_annual"));
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
    }
    c.series.push_back(std::move(s));
  }
  c.series.push_back({XYSeries::line, "OLS fit", {lo, hi}, {f.intercept + f.beta * lo, f.intercept + f.beta * hi}, -1});
  c.notes = {"\u03b2 = " + format_printf("%.4g", f.beta) + " (robust SE " + format_printf("%.2g", f.se) + ", HC1)",
             "\u03bb = " + format_printf("%.4g", f.lambda) + " per year",
             "n = " + format_printf("%.0f", f.n) + " units, R\u00b2 = " + format_printf("%.3f", f.r2),
             "T = " + format_printf("%.3g", f.years) + " years"};
  const std::string file = "panel/charts/beta_convergence_" + level + ".png";
  draw_xy_chart_png(out + "/" + file, c);
  list.drawn.push_back({file, title,
                        "Each unit of the balanced panel: its annual growth of ln brightness between the first and last release "
                        "against ln of its first brightness (panel/growth_" + level + ".csv), and the OLS line; β < 0 means dim "
                        "units grew faster (β-convergence), λ = −ln(1 + βT)/T its speed per year."});
}

}  // namespace

void draw_beta_charts(const std::string& out, const RunConfig& config, size_t releases, PanelChartList& list) {
  const auto conv = read_named_table(out + "/panel/convergence.csv");
  if (!conv) return;
  for (const auto& level : config.convergence.levels) {
    if (releases < 2) {
      list.not_drawn.push_back("\u03b2-convergence of " + level + " units: one release so far, so no growth to fit yet.");
      continue;
    }
    beta_chart(out, config, level, *conv, list);
  }
}

void draw_lorenz_chart(const std::string& out, const RunConfig& config, const std::string& latest, PanelChartList& list) {
  const std::string dir = out + "/releases/" + latest;
  const auto ineq = read_named_table(dir + "/inequality.csv");
  const std::set<std::string> compared(config.gaps.groups.begin(), config.gaps.groups.end());
  const std::string grouping = config.inequality.groupings.empty() ? "" : config.inequality.groupings.front();
  XYChart c;
  c.title = "Lorenz curves of brightness, release " + latest;
  c.x_label = "cumulative share of valid area (units from dimmest to brightest)";
  c.y_label = "cumulative share of light";
  c.x_range = c.y_range = std::pair{0.0, 1.0};
  c.layout.right = 620, c.layout.bottom = 600, c.layout.legend_left = 660;
  c.series.push_back({XYSeries::dashed, "equality", {0, 1}, {0, 1}, -1});
  for (size_t l = 0; l < config.inequality.levels.size(); ++l) {
    const std::string& level = config.inequality.levels[l];
    const auto t = read_named_table(dir + "/" + level + ".csv");
    if (!t) continue;
    // The units the Gini counts: included, with a brightness, of a compared group where grouped.
    std::vector<std::pair<double, double>> units;  // (brightness, valid area)
    double area = 0, light = 0;
    for (size_t r = 0; r < t->rows.size(); ++r) {
      const double y = t->number(r, "mean_area"), w = t->number(r, "valid_area_km2");
      const std::string& region = t->at(r, "region");
      if (t->at(r, "included") != "1" || !(y >= 0) || !(w > 0) || (!region.empty() && !compared.count(region))) continue;
      units.emplace_back(y, w), area += w, light += y * w;
    }
    if (units.size() < 2 || !(light > 0)) continue;
    std::sort(units.begin(), units.end());
    XYSeries s{XYSeries::line, level, {0}, {0}, static_cast<int>(l)};
    double a = 0, b = 0;
    for (const auto& [y, w] : units) a += w, b += y * w, s.x.push_back(a / area), s.y.push_back(b / light);
    for (size_t r = 0; ineq && r < ineq->rows.size(); ++r)
      if (ineq->at(r, "level") == level && ineq->at(r, "measure") == "gini" && ineq->at(r, "group") == "all" &&
          ineq->at(r, "basis") == "area" && (grouping.empty() || ineq->at(r, "grouping") == grouping))
        s.name += " (Gini " + format_printf("%.3f", ineq->number(r, "value")) + ", " + std::to_string(units.size()) + " units)";
    c.series.push_back(std::move(s));
  }
  if (c.series.size() < 2) return;
  draw_xy_chart_png(out + "/panel/charts/lorenz.png", c);
  list.drawn.push_back({"panel/charts/lorenz.png", "Lorenz curves, release " + latest,
                        "Units sorted from dimmest to brightest: the share of the light against the share of the land "
                        "(valid area) they hold, one curve per inequality level. The further below the diagonal, the more "
                        "unequal; the area between curve and diagonal is half the area-weighted Gini."});
}

}  // namespace nl
