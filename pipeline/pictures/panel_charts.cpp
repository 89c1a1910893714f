// Charts over the panel's releases (see panel_charts.hpp).
#include "pipeline/pictures/panel_charts.hpp"

#include <cmath>
#include <filesystem>
#include <map>

#include "pipeline/pictures/line_chart.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

double number(const std::string& s) { return s.empty() ? NAN : std::stod(s); }

// Release ids in panel order (the stacked tables keep release order), and an index of each.
void add_release(std::vector<std::string>& ids, std::map<std::string, size_t>& index, const std::string& id) {
  if (index.emplace(id, ids.size()).second) ids.push_back(id);
}

void brightness_chart(const std::string& out, const RunConfig& config) {
  const std::string path = out + "/panel/gaps.csv";
  if (!std::filesystem::exists(path)) return;
  const CsvTable t = read_csv_table(path, "panel gap table", {"release", "group", "mean_area"});
  LineChart c;
  c.title = "Brightness by group over releases";
  c.y_label = "mean_area (" + config.releases.units + ")";
  c.log_y = true;
  std::map<std::string, size_t> release_index;
  for (const auto& r : t.rows) add_release(c.x_labels, release_index, r.cells[0]);
  for (const auto& g : config.gaps.groups) c.series.push_back({g, std::vector<double>(c.x_labels.size(), NAN)});
  for (const auto& r : t.rows)
    for (size_t g = 0; g < config.gaps.groups.size(); ++g)
      if (r.cells[1] == config.gaps.groups[g]) c.series[g].y[release_index[r.cells[0]]] = number(r.cells[2]);
  draw_line_chart_png(out + "/panel/charts/brightness_by_group.png", c);
}

void inequality_chart(const std::string& out, const RunConfig& config) {
  const std::string path = out + "/panel/inequality.csv";
  if (!std::filesystem::exists(path) || config.inequality.levels.empty()) return;
  const CsvTable t = read_csv_table(path, "panel inequality table",
                                    {"release", "level", "grouping", "measure", "group", "value", "basis"});
  const std::string& level = config.inequality.levels.front();
  LineChart c;
  c.title = "Inequality between " + level + " units over releases (per km\u00b2)";
  c.y_label = "index";
  std::map<std::string, size_t> release_index;
  for (const auto& r : t.rows) add_release(c.x_labels, release_index, r.cells[0]);
  const std::vector<std::pair<std::string, std::string>> measures{{"gini", "Gini"}, {"theil_t", "Theil T"}};
  for (const auto& m : measures) c.series.push_back({m.second, std::vector<double>(c.x_labels.size(), NAN)});
  for (const auto& r : t.rows) {
    if (r.cells[1] != level || r.cells[4] != "all" || r.cells[6] != "area") continue;
    for (size_t m = 0; m < measures.size(); ++m)
      if (r.cells[3] == measures[m].first) c.series[m].y[release_index[r.cells[0]]] = number(r.cells[5]);
  }
  draw_line_chart_png(out + "/panel/charts/inequality.png", c);
}

}  // namespace

void draw_panel_charts(const std::string& out, const RunConfig& config) {
  make_directories(out + "/panel/charts");
  brightness_chart(out, config);
  inequality_chart(out, config);
}

}  // namespace nl
