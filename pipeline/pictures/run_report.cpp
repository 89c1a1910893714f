// The run's report page (see run_report.hpp).
#include "pipeline/pictures/run_report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/analysis/gap_sentences.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/pictures/panel_charts.hpp"
#include "pipeline/pictures/run_tables.hpp"

namespace fs = std::filesystem;

namespace nl {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return o;
}

// A number for reading: four significant digits (the CSV keeps full precision).
std::string readable(const std::string& cell) {
  if (cell.empty()) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", std::stod(cell));
  return buf;
}

// An HTML table of the chosen columns of the rows `keep` picks; numbers rounded for reading.
template <class Keep>
std::string html_table(const NamedTable& t, const std::vector<std::string>& columns, Keep keep) {
  std::string h = "<table><tr>";
  std::vector<std::string> present;
  for (const auto& c : columns)
    if (t.column(c) >= 0) present.push_back(c), h += "<th>" + esc(c) + "</th>";
  h += "</tr>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (!keep(r)) continue;
    h += "<tr>";
    for (const auto& c : present) {
      const std::string& v = t.at(r, c);
      const bool number = !v.empty() && v.find_first_not_of("0123456789.-+eE") == std::string::npos;
      h += number ? "<td class=n>" + readable(v) + "</td>" : "<td>" + esc(v) + "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

// The gap table as the run held it: gaps.csv's numbers read back are the run's doubles.
GapTable gap_table_from_csv(const NamedTable& t) {
  GapTable g;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    GapRow row;
    row.group = t.at(r, "group");
    row.compared = t.at(r, "compared") == "1";
    row.units_counted = static_cast<int64_t>(t.number(r, "units_counted"));
    row.units_left_out = static_cast<int64_t>(t.number(r, "units_left_out"));
    row.acc.sum_area = t.number(r, "sum_area");
    row.acc.valid_area = t.number(r, "valid_area_km2");
    row.acc.lit_area = t.number(r, "lit_area_km2");
    g.rows.push_back(row);
  }
  return g;
}

std::string gaps_section(const std::string& dir, const RunConfig& config) {
  const auto t = read_named_table(dir + "/gaps.csv");
  if (!t) return "";
  std::string h = "<h2>Gaps between groups</h2>\n";
  for (const auto& s : gap_sentences(gap_table_from_csv(*t), config.gaps, config.min_valid_fraction))
    if (!s.empty()) h += "<p>" + esc(s) + "</p>\n";
  const std::string& w = config.gaps.west;
  h += html_table(*t, {"group", "units_counted", "units_left_out", "mean_area", "light_share", "area_share",
                       "lit_area_share", "brightness_ratio_to_" + w, "lit_share_ratio_to_" + w, "light_per_person"},
                  [](size_t) { return true; });
  return h + "<p class=note>mean_area: brightness, Σ light / Σ valid area (" + esc(config.releases.units) +
         "); shares of the compared groups' total; ratios to " + esc(w) + ". Full precision in gaps.csv.</p>\n";
}

std::string inequality_section(const std::string& dir) {
  const auto t = read_named_table(dir + "/inequality.csv");
  if (!t) return "";
  std::string h = "<h2>Inequality</h2>\n<p>Across units of each level, per km² (each unit's brightness weighted by "
                  "its valid area); between / between_share: the part of the index between the grouping's groups.</p>\n";
  return h + html_table(*t, {"level", "grouping", "measure", "value", "between", "between_share", "n_used"}, [&](size_t r) {
           const std::string& m = t->at(r, "measure");
           return t->at(r, "group") == "all" && t->at(r, "basis") == "area" && (m == "gini" || m == "theil_t" || m == "theil_l");
         });
}

std::string hu_section(const std::string& dir) {
  const auto t = read_named_table(dir + "/hu_line.csv");
  if (!t) return "";
  return "<h2>The Hu line</h2>\n<p>The two sides of the Heihe–Tengchong line, split at the pixel: their share of "
         "the area and of the light, and their brightness.</p>\n" +
         html_table(*t, {"side", "shape", "units", "area_share", "light_share", "lit_area_share", "mean_area"},
                    [](size_t) { return true; });
}

std::string figure(const std::string& file, const std::string& title, const std::string& caption) {
  return "<figure><img src=\"" + esc(file) + "\" alt=\"" + esc(title) + "\" width=\"1200\">\n<figcaption><b>" + esc(title) +
         ".</b> " + esc(caption) + "</figcaption></figure>\n";
}

std::string maps_section(const std::string& out, const std::string& latest, const RunConfig& config) {
  std::string h;
  const std::string what[4][2] = {
      {"brightness_", "each unit's brightness (mean_area, " + config.releases.units + ") on a log colour scale whose "
                      "classes span the 2nd to 98th percentile; grey: no light; hatched: below min_valid_fraction"},
      {"gap_", "each unit's gap_to_reference = 1 − its brightness / " + config.gaps.reference + "'s on a diverging "
               "scale centred on 0: red where darker than the reference, blue where brighter"},
      {"lit_share_", "the share of each unit's valid area that is lit (above lit_threshold)"},
      {"light_per_person_", "each unit's total light (sum_area) per person of the population table, on a log colour "
                            "scale; hatched where the table has no population or the unit is left out"}};
  for (const auto& level : config.levels)
    for (const auto& [prefix, caption] : what) {
      const std::string file = "releases/" + latest + "/maps/" + prefix + level.name + ".png";
      if (fs::exists(out + "/" + file))
        h += figure(file, prefix.substr(0, prefix.size() - 1) + " by " + level.name + ", release " + latest, "The map shows " + caption + ".");
    }
  return h.empty() ? "" : "<h2>Maps, release " + esc(latest) + "</h2>\n" + h;
}

std::string charts_section(const PanelChartList& charts) {
  std::string h = "<h2>Charts</h2>\n";
  if (!charts.not_drawn.empty()) {
    h += "<ul>\n";
    for (const auto& s : charts.not_drawn) h += "<li>" + esc(s) + "</li>\n";
    h += "</ul>\n";
  }
  for (const auto& c : charts.drawn) h += figure(c.file, c.title, c.caption);
  return h;
}

// Every CSV under OUT, the panel's and the latest release's first, sorted so the page is stable.
std::string tables_section(const std::string& out, const std::string& latest) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file() && e.path().extension() == ".csv") {
      const std::string rel = fs::relative(e.path(), out).generic_string();
      if (rel.find("/.") == std::string::npos && rel.rfind("cache/", 0) != 0) files.push_back(rel);
    }
  std::sort(files.begin(), files.end());
  const std::string latest_dir = "releases/" + latest + "/";
  std::string first, rest;
  for (const auto& f : files) {
    const std::string link = "<li><a href=\"" + esc(f) + "\">" + esc(f) + "</a></li>\n";
    (f.rfind("panel/", 0) == 0 || f.rfind(latest_dir, 0) == 0 || f.find('/') == std::string::npos ? first : rest) += link;
  }
  std::string h = "<h2>Tables</h2>\n<ul>\n" + first + "</ul>\n";
  if (!rest.empty()) h += "<details><summary>earlier releases' tables</summary><ul>\n" + rest + "</ul></details>\n";
  return h;
}

const char* kStyle =
    "body{font-family:'DejaVu Sans',sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#1c1c24;"
    "background:#fafafa;line-height:1.45}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em}"
    "th{background:#eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "figure{margin:1.5em 0}img{max-width:100%;height:auto;display:block;background:#0c0e18}"
    "figcaption{font-size:.9em;margin-top:.4em}.note{font-size:.85em;color:#555}";

}  // namespace

void write_run_report(const std::string& out, const RunConfig& config) {
  const PanelChartList charts = draw_panel_charts(out, config);
  const std::vector<std::string> ids = panel_release_ids(out, config);
  if (ids.empty()) return;
  const std::string& latest = ids.back();
  const std::string dir = out + "/releases/" + latest;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Night lights: " +
                  esc(fs::path(config.path).filename().string()) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>Night lights: " + esc(fs::path(config.path).filename().string()) + "</h1>\n<p>" + std::to_string(ids.size()) +
       " release(s) in the panel, " + esc(ids.front()) + (ids.size() > 1 ? " to " + esc(latest) : "") + "; units " +
       esc(config.releases.units) + ". Tables and maps below are of release " + esc(latest) + ".</p>\n";
  h += gaps_section(dir, config) + inequality_section(dir) + hu_section(dir) + maps_section(out, latest, config) +
       charts_section(charts) + tables_section(out, latest) + "</body>\n</html>\n";
  write_file_atomically(out + "/report.html", h);
}

RunConfig output_config(const std::string& out) {
  std::string latest;
  if (fs::is_directory(out + "/releases"))
    for (const auto& e : fs::directory_iterator(out + "/releases")) {
      const std::string name = e.path().filename().string();
      if (name[0] != '.' && fs::exists(e.path() / "provenance.json") && name > latest) latest = name;
    }
  if (latest.empty()) throw UserError(out + ": no finished release here (no releases/*/provenance.json); run first");
  const std::string path = out + "/releases/" + latest + "/provenance.json";
  nlohmann::json p;
  try {
    p = nlohmann::json::parse(read_whole_file(path).value_or(""));
  } catch (const nlohmann::json::exception& e) {
    throw UserError(path + ": not readable as JSON (" + e.what() + ")");
  }
  if (!p.contains("config") || !p.contains("config_path")) throw UserError(path + ": no config recorded");
  const std::string config_path = p["config_path"].get<std::string>();
  return parse_run_config(p["config"].get<std::string>(), config_path, fs::path(config_path).parent_path().string(), false);
}

}  // namespace nl
