// Inequality rows per level and grouping, and the Hu line table.
#include "pipeline/analysis/inequality_tables.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string_view>

#include "kernels/inequality.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

std::string inequality_csv_header() {
  return "release,level,grouping,measure,group,value,within,between,between_share,n_used,n_left_out_low_valid,"
         "n_left_out_no_light,n_left_out_no_population,n_outside_comparison,weight,basis\n";
}

namespace {

struct Sample {
  std::vector<double> y, w;
  std::vector<uint8_t> include;
  std::vector<uint8_t> no_population;  // valid units left out for want of a population
  std::vector<std::string> group;
  size_t outside = 0;
};

// Variance of logs split exactly into within- and between-group parts (law of total variance).
struct LogVariance {
  double total = NAN, within = NAN, between = NAN;
};
LogVariance log_variance(const Sample& s) {
  double W = 0, m = 0;
  std::map<std::string, std::pair<double, double>> g;  // W_g, Σ w ln y
  for (size_t i = 0; i < s.y.size(); ++i) {
    if (!s.include[i] || !(s.y[i] > 0)) continue;
    const double l = std::log(s.y[i]);
    W += s.w[i];
    m += s.w[i] * l;
    g[s.group[i]].first += s.w[i];
    g[s.group[i]].second += s.w[i] * l;
  }
  LogVariance r;
  if (!(W > 0)) return r;
  m /= W;
  double total = 0, within = 0;
  for (size_t i = 0; i < s.y.size(); ++i) {
    if (!s.include[i] || !(s.y[i] > 0)) continue;
    const double l = std::log(s.y[i]);
    const auto& [wg, sg] = g[s.group[i]];
    total += s.w[i] * (l - m) * (l - m);
    within += s.w[i] * (l - sg / wg) * (l - sg / wg);
  }
  double between = 0;
  for (const auto& [name, v] : g) between += v.first * (v.second / v.first - m) * (v.second / v.first - m);
  r.total = total / W;
  r.within = within / W;
  r.between = between / W;
  return r;
}

std::string row(const std::string& release, const std::string& level, const std::string& grouping,
                const std::string& measure, const std::string& group, double value, double within, double between,
                size_t used, size_t low_valid, size_t no_light, size_t no_population, size_t outside,
                const char* weight, const char* basis) {
  std::ostringstream o;
  o << csv_field(release) << ',' << level << ',' << grouping << ',' << measure << ',' << csv_field(group) << ','
    << format_number(value) << ',' << format_number(within) << ',' << format_number(between) << ','
    << format_number(std::isfinite(between) && value > 0 ? between / value : NAN) << ',' << used << ',' << low_valid
    << ',' << no_light << ',' << no_population << ',' << outside << ',' << weight << ',' << basis << '\n';
  return o.str();
}

}  // namespace

std::vector<std::string> majority_groups(const std::vector<LevelUnits>& levels, int base, int level,
                                         const std::vector<std::string>& group_of_base) {
  if (level == base) return group_of_base;
  const auto map = map_units(levels, base, level);
  std::vector<std::map<std::string, double>> area(levels[level].codes.size());
  for (size_t u = 0; u < map.size(); ++u)
    area[map[u]][group_of_base[u]] += levels[base].acc[u].valid_area + levels[base].acc[u].nodata_area + 1e-300;
  std::vector<std::string> out(area.size());
  for (size_t u = 0; u < area.size(); ++u) {
    double best = -1;
    for (const auto& [g, a] : area[u])
      if (a > best) {
        best = a;
        out[u] = g;
      }
  }
  return out;
}

std::string inequality_rows(const std::string& release, const LevelUnits& units, const std::string& grouping,
                            const std::vector<std::string>& group_of_unit, const std::set<std::string>& compared,
                            double min_valid_fraction, const std::vector<double>* population) {
  Sample s;
  for (size_t u = 0; u < units.codes.size(); ++u) {
    if (!compared.empty() && !compared.count(group_of_unit[u])) {
      ++s.outside;
      continue;
    }
    const ZoneAccumulator& a = units.acc[u];
    const bool valid = unit_included(a, min_valid_fraction);
    if (population) {  // light per person, weighted by population
      const double pop = (*population)[u];
      const bool known = pop > 0 && std::isfinite(pop);
      s.y.push_back(known ? a.sum_area / pop : NAN);
      s.w.push_back(known ? pop : 0.0);
      s.include.push_back(valid && known ? 1 : 0);
      s.no_population.push_back(valid && !known ? 1 : 0);
    } else {  // brightness, weighted by valid area
      s.y.push_back(a.valid_area > 0 ? a.sum_area / a.valid_area : NAN);
      s.w.push_back(a.valid_area);
      s.include.push_back(valid ? 1 : 0);
      s.no_population.push_back(0);
    }
    s.group.push_back(group_of_unit[u]);
  }
  // NaN brightness only occurs for units with no valid cell, which are already flagged out.
  for (size_t i = 0; i < s.y.size(); ++i)
    if (!s.include[i]) s.y[i] = 0;
  const std::vector<double> ones(s.y.size(), 1.0);
  std::string out;
  const std::string& level = units.name;
  const char* basis = population ? "population" : "area";
  const char* weighted = population ? "population" : "valid_area";
  // Units without a population are flagged out like those below min_valid_fraction, but
  // counted in their own column: the flagged count minus them is the low-valid count.
  auto no_population_in = [&](const std::string& group) {
    size_t n = 0;
    for (size_t i = 0; i < s.no_population.size(); ++i) n += s.no_population[i] && (group == "all" || s.group[i] == group);
    return n;
  };
  auto add = [&](const std::string& measure, const std::string& group, const InequalityResult& r, double within,
                 double between, size_t outside, const char* weight, bool logs) {
    const size_t no_pop = no_population_in(group);
    out += row(release, level, grouping, measure, group, r.value, within, between, r.n_used,
               r.n_excluded_flag - no_pop, logs ? r.n_excluded_nonpositive : 0, no_pop, outside,
               std::string_view(weight) == "none" ? "none" : weighted, basis);
  };
  const LogVariance lv = log_variance(s);
  const Decomposition dt = theil_decomposition(TheilIndex::T, s.y, s.w, std::span<const std::string>(s.group), s.include);
  const Decomposition dl = theil_decomposition(TheilIndex::L, s.y, s.w, std::span<const std::string>(s.group), s.include);
  add("gini", "all", gini(s.y, s.w, s.include), NAN, NAN, s.outside, "valid_area", false);
  add("gini_unweighted", "all", gini(s.y, ones, s.include), NAN, NAN, s.outside, "none", false);
  add("cv", "all", coefficient_of_variation(s.y, s.w, s.include), NAN, NAN, s.outside, "valid_area", false);
  add("var_log", "all", variance_of_logs(s.y, s.w, s.include), lv.within, lv.between, s.outside, "valid_area", true);
  add("theil_t", "all", theil_t(s.y, s.w, s.include), dt.within, dt.between, s.outside, "valid_area", true);
  add("theil_l", "all", theil_l(s.y, s.w, s.include), dl.within, dl.between, s.outside, "valid_area", true);
  // Each group on its own.
  std::vector<std::string> names;
  for (const auto& g : s.group)
    if (std::find(names.begin(), names.end(), g) == names.end()) names.push_back(g);
  std::sort(names.begin(), names.end());
  for (const auto& g : names) {
    std::vector<uint8_t> in(s.include);
    for (size_t i = 0; i < in.size(); ++i)
      if (s.group[i] != g) in[i] = 0;
    // Units of other groups are not "left out" of this group: count only this group's.
    auto only = [&](InequalityResult r) {
      size_t flagged = 0;
      for (size_t i = 0; i < s.include.size(); ++i) flagged += s.group[i] == g && !s.include[i];
      r.n_excluded_flag = flagged;
      return r;
    };
    add("gini", g, only(gini(s.y, s.w, in)), NAN, NAN, 0, "valid_area", false);
    add("gini_unweighted", g, only(gini(s.y, ones, in)), NAN, NAN, 0, "none", false);
    add("cv", g, only(coefficient_of_variation(s.y, s.w, in)), NAN, NAN, 0, "valid_area", false);
    add("var_log", g, only(variance_of_logs(s.y, s.w, in)), NAN, NAN, 0, "valid_area", true);
    add("theil_t", g, only(theil_t(s.y, s.w, in)), NAN, NAN, 0, "valid_area", true);
    add("theil_l", g, only(theil_l(s.y, s.w, in)), NAN, NAN, 0, "valid_area", true);
  }
  return out;
}

std::string hu_line_csv(const std::string& release, const std::string& shape, const ZoneAccumulator& east,
                        const ZoneAccumulator& west, int64_t units_east, int64_t units_west) {
  ZoneAccumulator total = east;
  total.merge(west);
  const double area_all = total.valid_area + total.nodata_area;
  std::string out =
      "release,side,shape,units,area_km2,valid_area_km2,area_share,valid_area_share,sum_area,light_share,"
      "lit_area_km2,lit_area_share,mean_area\n";
  auto line = [&](const char* side, const ZoneAccumulator& a, int64_t units) {
    std::ostringstream o;
    const double area = a.valid_area + a.nodata_area;
    o << csv_field(release) << ',' << side << ',' << shape << ',' << units << ',' << format_number(area) << ','
      << format_number(a.valid_area) << ',' << format_number(area_all > 0 ? area / area_all : NAN) << ','
      << format_number(total.valid_area > 0 ? a.valid_area / total.valid_area : NAN) << ','
      << format_number(a.sum_area) << ',' << format_number(total.sum_area > 0 ? a.sum_area / total.sum_area : NAN)
      << ',' << format_number(a.lit_area) << ',' << format_number(a.valid_area > 0 ? a.lit_area / a.valid_area : NAN)
      << ',' << format_number(a.valid_area > 0 ? a.sum_area / a.valid_area : NAN) << '\n';
    out += o.str();
  };
  line("east", east, units_east);
  line("west", west, units_west);
  line("all", total, units_east + units_west);
  return out;
}

}  // namespace nl
