// Charts over the panel's releases (see panel_charts.hpp).
#include "pipeline/pictures/panel_charts.hpp"

#include <cmath>
#include <filesystem>
#include <map>

#include "pipeline/io/output_file.hpp"
#include "pipeline/pictures/line_chart.hpp"
#include "pipeline/pictures/run_tables.hpp"

namespace nl {

namespace {

// The releases as x labels and each one's position.
struct Releases {
  std::vector<std::string> ids;
  std::map<std::string, size_t> index;
  explicit Releases(std::vector<std::string> v) : ids(std::move(v)) {
    for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = i;
  }
  // The series of `value` over the rows that `keep` picks, placed by their release.
  template <class Keep>
  std::vector<double> series(const NamedTable& t, const std::string& value, Keep keep) const {
    std::vector<double> y(ids.size(), NAN);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const auto it = index.find(t.at(r, "release"));
      if (it != index.end() && keep(r)) y[it->second] = t.number(r, value);
    }
    return y;
  }
  LineChart chart(std::string title, std::string y_label, bool log_y) const {
    LineChart c;
    c.title = std::move(title), c.y_label = std::move(y_label), c.x_labels = ids, c.log_y = log_y;
    return c;
  }
};

std::string no_time_axis(const std::string& chart) {
  return chart + ": one release so far, so no time axis yet (drawn from the second release on).";
}

void brightness_chart(const std::string& out, const RunConfig& config, const Releases& rel, PanelChartList& list) {
  const auto t = read_named_table(out + "/panel/gaps.csv");
  if (!t) return;
  const std::string title = "Brightness by group over releases";
  if (rel.ids.size() < 2) return list.not_drawn.push_back(no_time_axis(title));
  LineChart top = rel.chart(title, "mean_area (" + config.releases.units + ")", true);
  for (const auto& g : config.gaps.groups)
    top.series.push_back({g, rel.series(*t, "mean_area", [&](size_t r) { return t->at(r, "group") == g; })});
  const GapsConfig& gaps = config.gaps;
  LineChart ratio = rel.chart("", gaps.reference + " / " + gaps.west, false);
  ratio.series.push_back({gaps.reference + " / " + gaps.west,
                          rel.series(*t, "brightness_ratio_to_" + gaps.west, [&](size_t r) { return t->at(r, "group") == gaps.reference; }),
                          false, 5});
  draw_stacked_line_charts_png(out + "/panel/charts/brightness_by_group.png", {top, ratio});
  list.drawn.push_back({"panel/charts/brightness_by_group.png", title,
                        "Each compared group's brightness (Σ light / Σ valid area of its counted units, from panel/gaps.csv) "
                        "on a log axis, one line per group; below, the " + gaps.reference + " group's brightness as a multiple of the " +
                        gaps.west + " group's. A falling ratio is the gap closing."});
}

void hu_line_chart(const std::string& out, const RunConfig& config, const Releases& rel, PanelChartList& list) {
  const auto t = read_named_table(out + "/panel/hu_line.csv");
  if (!t) return;
  const std::string title = "Brightness on each side of the Hu line over releases";
  if (rel.ids.size() < 2) return list.not_drawn.push_back(no_time_axis(title));
  LineChart top = rel.chart(title, "mean_area (" + config.releases.units + ")", true);
  const auto side = [&](const char* s) { return rel.series(*t, "mean_area", [&](size_t r) { return t->at(r, "side") == s; }); };
  const std::vector<double> east = side("east"), west = side("west");
  top.series.push_back({"east (southeast)", east});
  top.series.push_back({"west (northwest)", west});
  LineChart ratio = rel.chart("", "east / west", false);
  std::vector<double> r(rel.ids.size(), NAN);
  for (size_t i = 0; i < r.size(); ++i)
    if (east[i] > 0 && west[i] > 0) r[i] = east[i] / west[i];
  ratio.series.push_back({"east / west", r, false, 5});
  draw_stacked_line_charts_png(out + "/panel/charts/hu_line.png", {top, ratio});
  list.drawn.push_back({"panel/charts/hu_line.png", title,
                        "Brightness (Σ light / Σ valid area) of the two sides of the Heihe–Tengchong line, split exactly at "
                        "the pixel (panel/hu_line.csv), on a log axis; below, the southeast side's brightness as a multiple "
                        "of the northwest's."});
}

void inequality_chart(const std::string& out, const RunConfig& config, const Releases& rel, PanelChartList& list) {
  const auto t = read_named_table(out + "/panel/inequality.csv");
  if (!t || config.inequality.levels.empty()) return;
  const std::string& level = config.inequality.levels.front();
  const std::string title = "Inequality between " + level + " units over releases (per km\u00b2)";
  if (rel.ids.size() < 2) return list.not_drawn.push_back(no_time_axis(title));
  const std::string grouping = config.inequality.groupings.empty() ? "" : config.inequality.groupings.front();
  const auto keep = [&](const char* measure) {
    return [&t, &level, &grouping, measure](size_t r) {
      return t->at(r, "level") == level && t->at(r, "group") == "all" && t->at(r, "basis") == "area" &&
             t->at(r, "measure") == measure && (grouping.empty() || t->at(r, "grouping") == grouping);
    };
  };
  LineChart c = rel.chart(title, "index", false);
  if (!grouping.empty())
    c.series.push_back({"Theil T between " + grouping + " groups", rel.series(*t, "between", keep("theil_t")), true, 1});
  c.series.push_back({"Theil T", rel.series(*t, "value", keep("theil_t")), false, 1});
  c.series.push_back({"Gini", rel.series(*t, "value", keep("gini")), false, 0});
  draw_line_chart_png(out + "/panel/charts/inequality.png", c);
  list.drawn.push_back({"panel/charts/inequality.png", title,
                        "Gini (weighted by valid area) and Theil T of the " + level + " units' brightness, all compared units"
                        + (grouping.empty() ? std::string(".") : "; the shaded band is the part of Theil T between the " +
                                                                     grouping + " groups (the rest, up to the line, is within them).")});
}

void sigma_chart(const std::string& out, const RunConfig& config, const Releases& rel, PanelChartList& list) {
  const auto t = read_named_table(out + "/panel/convergence.csv");
  if (!t || !config.convergence.enabled) return;
  const std::string title = "\u03c3-convergence: spread of log brightness over releases";
  if (rel.ids.size() < 2) return list.not_drawn.push_back(no_time_axis(title));
  LineChart c = rel.chart(title, "standard deviation of ln mean_area", false);
  for (const auto& level : config.convergence.levels)
    c.series.push_back({level, rel.series(*t, "estimate", [&](size_t r) {
                          return t->at(r, "level") == level && t->at(r, "kind") == "sigma";
                        })});
  draw_line_chart_png(out + "/panel/charts/sigma_convergence.png", c);
  list.drawn.push_back({"panel/charts/sigma_convergence.png", title,
                        "The standard deviation across units of ln brightness in each release, on the balanced panel "
                        "(units valid and lit in every release; panel/convergence.csv). A falling line is σ-convergence."});
}

}  // namespace

PanelChartList draw_panel_charts(const std::string& out, const RunConfig& config) {
  PanelChartList list;
  std::error_code ec;
  std::filesystem::remove_all(out + "/panel/charts", ec);
  make_directories(out + "/panel/charts");
  const Releases rel(panel_release_ids(out, config));
  if (rel.ids.empty()) return list;
  brightness_chart(out, config, rel, list);
  if (config.hu_line.enabled) hu_line_chart(out, config, rel, list);
  if (config.inequality.enabled) inequality_chart(out, config, rel, list);
  if (config.convergence.enabled) {
    sigma_chart(out, config, rel, list);
    draw_beta_charts(out, config, rel.ids.size(), list);
  }
  if (config.inequality.enabled) draw_lorenz_chart(out, config, rel.ids.back(), list);
  return list;
}

}  // namespace nl
