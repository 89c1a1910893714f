// Levels rolled up from accumulators, the gap table and the level CSVs.
#include "pipeline/analysis/levels.hpp"

#include <algorithm>
#include <cmath>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

std::string level_key(const LevelConfig& level, const std::string& code,
                      const std::vector<std::string>& field_names,
                      const std::vector<std::string>& fields) {
  std::string key;
  if (level.key_field == "id") {
    key = code;
  } else {
    const auto it = std::find(field_names.begin(), field_names.end(), level.key_field);
    if (it == field_names.end())
      throw UserError("level '" + level.name + "': key field '" + level.key_field +
                      "' is not carried by level '" + level.from +
                      "' (add it to the zone layer's fields, or use id)");
    key = fields[it - field_names.begin()];
  }
  if (level.prefix > 0) {
    if (static_cast<int>(key.size()) < level.prefix)
      throw UserError("level '" + level.name + "': key '" + key + "' of unit " + code +
                      " is shorter than the prefix " + std::to_string(level.prefix));
    key = key.substr(0, level.prefix);
  }
  key += level.suffix;
  if (!level.lookup.empty()) {
    const auto it = level.lookup.find(key);
    if (it != level.lookup.end()) return it->second;
    if (level.unmatched == "error")
      throw UserError(level.lookup_source + ": no entry for key '" + key + "' (unit " + code +
                      " of level '" + level.from +
                      "'); add it, or set unmatched: <group> on level '" + level.name + "'");
    return level.unmatched;
  }
  return key;
}

void derive_level_membership(const std::vector<LevelConfig>& config,
                             std::vector<LevelUnits>& levels) {
  for (size_t l = 0; l < config.size(); ++l) {
    const LevelConfig& lc = config[l];
    if (lc.from.empty()) continue;
    int from = -1;
    for (size_t k = 0; k < l; ++k)
      if (config[k].name == lc.from) from = static_cast<int>(k);
    LevelUnits& out = levels[l];
    const LevelUnits& finer = levels[from];
    out.name = lc.name;
    out.from = from;
    std::vector<std::string> keys(finer.codes.size());
    for (size_t u = 0; u < finer.codes.size(); ++u)
      keys[u] = level_key(lc, finer.codes[u], finer.field_names, finer.fields[u]);
    out.codes = keys;
    std::sort(out.codes.begin(), out.codes.end());
    out.codes.erase(std::unique(out.codes.begin(), out.codes.end()), out.codes.end());
    out.fields.assign(out.codes.size(), {});
    out.unit_of_from.resize(keys.size());
    for (size_t u = 0; u < keys.size(); ++u)
      out.unit_of_from[u] =
          std::lower_bound(out.codes.begin(), out.codes.end(), keys[u]) - out.codes.begin();
  }
}

void merge_level_accumulators(std::vector<LevelUnits>& levels) {
  for (auto& level : levels) {
    if (level.from < 0) {
      level.n_units.assign(level.codes.size(), 1);
      continue;
    }
    const LevelUnits& finer = levels[level.from];
    level.acc.assign(level.codes.size(), ZoneAccumulator{});
    level.n_units.assign(level.codes.size(), 0);
    for (size_t u = 0; u < finer.codes.size(); ++u) {
      level.acc[level.unit_of_from[u]].merge(finer.acc[u]);
      level.n_units[level.unit_of_from[u]] += finer.n_units[u];
    }
  }
}

int own_level(const std::vector<LevelUnits>& levels, int l) {
  while (levels[l].from >= 0) l = levels[l].from;
  return l;
}

std::vector<int64_t> map_units(const std::vector<LevelUnits>& levels, int from, int to) {
  std::vector<int> chain;  // levels from `to` down to just above `from`
  for (int l = to; l != from; l = levels[l].from) {
    if (l < 0)
      throw UserError("level '" + levels[to].name + "' does not derive from level '" +
                      levels[from].name + "'");
    chain.push_back(l);
  }
  std::vector<int64_t> map(levels[from].codes.size());
  for (size_t u = 0; u < map.size(); ++u) {
    int64_t unit = static_cast<int64_t>(u);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) unit = levels[*it].unit_of_from[unit];
    map[u] = unit;
  }
  return map;
}

bool unit_included(const ZoneAccumulator& acc, double min_valid_fraction) {
  const double total = acc.valid_area + acc.nodata_area;
  if (acc.count <= 0 || total <= 0) return false;
  return acc.valid_area / total >= min_valid_fraction;
}

std::vector<double> level_population(const std::vector<LevelUnits>& levels, int from, int level,
                                     const std::map<std::string, double>& by_code) {
  std::vector<int64_t> map;
  try {
    map = map_units(levels, from, level);
  } catch (const UserError&) {
    return {};
  }
  std::vector<double> population(levels[level].codes.size(), 0.0);
  for (size_t u = 0; u < map.size(); ++u) {
    const auto it = by_code.find(levels[from].codes[u]);
    population[static_cast<size_t>(map[u])] += it == by_code.end() ? NAN : it->second;
  }
  return population;
}

GapTable gap_table(const GapsConfig& config, const LevelUnits& units,
                   const std::vector<std::string>& group_of_unit, double min_valid_fraction,
                   const std::vector<double>* population) {
  GapTable table;
  std::map<std::string, size_t> row_of;
  for (const auto& g : config.groups) {
    row_of[g] = table.rows.size();
    table.rows.push_back(GapRow{g, 0, 0, true, {}});
  }
  const size_t all_row = table.rows.size();
  table.rows.push_back(GapRow{"all", 0, 0, true, {}});
  for (size_t u = 0; u < units.codes.size(); ++u) {
    const std::string& g = group_of_unit[u];
    auto it = row_of.find(g);
    if (it == row_of.end()) {
      it = row_of.emplace(g, table.rows.size()).first;
      table.rows.push_back(GapRow{g, 0, 0, true, {}});
      table.rows.back().compared = false;
    }
    GapRow& row = table.rows[it->second];
    if (!unit_included(units.acc[u], min_valid_fraction)) {
      ++row.units_left_out;
      if (row.compared) ++table.rows[all_row].units_left_out;
      continue;
    }
    ++row.units_counted;
    row.acc.merge(units.acc[u]);
    const double pop = population ? (*population)[u] : NAN;
    if (pop >= 0) {
      row.population += pop;
    } else {
      ++row.units_without_population;
    }
    if (row.compared) {
      ++table.rows[all_row].units_counted;
      table.rows[all_row].acc.merge(units.acc[u]);
      if (pop >= 0) {
        table.rows[all_row].population += pop;
      } else {
        ++table.rows[all_row].units_without_population;
      }
    }
  }
  for (const auto& r : table.rows)
    if (r.group == config.reference && r.acc.valid_area > 0)
      table.reference_brightness = r.acc.sum_area / r.acc.valid_area;
  return table;
}

std::vector<double> gap_brightness(const std::vector<LevelUnits>& levels, int base, int level,
                                   double min_valid_fraction) {
  const LevelUnits& units = levels[level];
  static const Statistic mean_area = parse_statistic("mean_area");
  auto brightness = [](const ZoneAccumulator& a) {
    return statistic_value(a, mean_area).value_or(NAN);
  };
  std::vector<double> out(units.codes.size());
  std::vector<int64_t> map;
  try {
    if (base >= 0 && level != base) map = map_units(levels, base, level);
  } catch (const UserError&) {
    // not made of the gap table's units: their own brightness
  }
  if (map.empty()) {
    for (size_t u = 0; u < out.size(); ++u) out[u] = brightness(units.acc[u]);
    return out;
  }
  // The gap table's merge: included members, in the base level's unit order.
  std::vector<ZoneAccumulator> counted(units.codes.size());
  for (size_t u = 0; u < map.size(); ++u)
    if (unit_included(levels[base].acc[u], min_valid_fraction))
      counted[static_cast<size_t>(map[u])].merge(levels[base].acc[u]);
  for (size_t u = 0; u < out.size(); ++u) out[u] = brightness(counted[u]);
  return out;
}

TypedTable level_table(const std::string& release, const LevelUnits& level, const std::vector<Statistic>& stats,
                       double min_valid_fraction, double reference_brightness,
                       const std::vector<std::string>& region_of_unit, const std::vector<double>* brightness,
                       const std::vector<double>* saturated_km2) {
  using Kind = TypedColumn::Kind;
  const size_t n = level.codes.size();
  TypedTable t;
  t.add("release", Kind::text).text.assign(n, release);
  t.add("code", Kind::text).text = level.codes;
  for (size_t f = 0; f < level.field_names.size(); ++f) {
    auto& column = t.add(level.field_names[f], Kind::text).text;
    for (size_t u = 0; u < n; ++u) column.push_back(f < level.fields[u].size() ? level.fields[u][f] : "");
  }
  if (!region_of_unit.empty()) t.add("region", Kind::text).text = region_of_unit;
  t.add("n_units", Kind::integer).integer = level.n_units;
  auto& included = t.add("included", Kind::integer).integer;
  for (const auto& a : level.acc) included.push_back(unit_included(a, min_valid_fraction) ? 1 : 0);
  for (const Statistic& s : stats) {
    auto& column = t.add(statistic_name(s), Kind::real).real;
    for (const auto& a : level.acc) column.push_back(statistic_value(a, s).value_or(NAN));
  }
  if (saturated_km2) t.add("saturated_area_km2", Kind::real).real = *saturated_km2;
  static const Statistic mean_area = parse_statistic("mean_area");
  auto& gap = t.add("gap_to_reference", Kind::real).real;
  for (size_t u = 0; u < n; ++u) {
    const double b = brightness ? (*brightness)[u] : statistic_value(level.acc[u], mean_area).value_or(NAN);
    gap.push_back(!std::isnan(b) && reference_brightness > 0 ? 1.0 - b / reference_brightness : NAN);
  }
  return t;
}

std::string level_csv(const std::string& release, const LevelUnits& level, const std::vector<Statistic>& stats,
                      double min_valid_fraction, double reference_brightness,
                      const std::vector<std::string>& region_of_unit, const std::vector<double>* brightness,
                      const std::vector<double>* saturated_km2) {
  return typed_table_csv(level_table(release, level, stats, min_valid_fraction, reference_brightness, region_of_unit,
                                     brightness, saturated_km2));
}

std::string gaps_csv(const std::string& release, const GapTable& table, const GapsConfig& config,
                     bool with_population, bool with_centres) {
  static const std::vector<Statistic> centres = parse_statistics("light_lon,light_lat,area_lon,area_lat");
  const ZoneAccumulator* all = nullptr;
  const ZoneAccumulator* west = nullptr;
  for (const auto& r : table.rows) {
    if (r.group == "all") all = &r.acc;
    if (r.group == config.west) west = &r.acc;
  }
  auto ratio = [](double a, double b) { return (a > 0 && b > 0) ? a / b : NAN; };
  auto logdiff = [](double a, double b) {
    return (a > 0 && b > 0) ? std::log(a) - std::log(b) : NAN;
  };
  const double west_brightness =
      west && west->valid_area > 0 ? west->sum_area / west->valid_area : NAN;
  const double west_lit = west && west->valid_area > 0 ? west->lit_area / west->valid_area : NAN;
  std::string out =
      "release,group,compared,units_counted,units_left_out,sum_area,valid_area_km2,mean_area,lit_"
      "area_km2,"
      "lit_area_share,light_share,area_share,brightness_ratio_to_" +
      config.west + ",brightness_log_diff_to_" + config.west + ",lit_share_ratio_to_" +
      config.west + ",lit_share_log_diff_to_" + config.west +
      (with_population ? ",population,population_share,light_per_person,units_without_population" : "") +
      (with_centres ? ",light_lon,light_lat,area_lon,area_lat" : "") + "\n";
  double all_population = NAN;
  for (const auto& r : table.rows)
    if (r.group == "all") all_population = r.population;
  for (const auto& r : table.rows) {
    const ZoneAccumulator& a = r.acc;
    const double brightness = a.valid_area > 0 ? a.sum_area / a.valid_area : NAN;
    const double lit_share = a.valid_area > 0 ? a.lit_area / a.valid_area : NAN;
    const double light_share =
        r.compared && all && all->sum_area > 0 ? a.sum_area / all->sum_area : NAN;
    const double area_share =
        r.compared && all && all->valid_area > 0 ? a.valid_area / all->valid_area : NAN;
    out += csv_field(release) + "," + csv_field(r.group) + "," + (r.compared ? "1" : "0") + "," +
           std::to_string(r.units_counted) + "," + std::to_string(r.units_left_out) + "," +
           format_number(a.sum_area) + "," + format_number(a.valid_area) + "," +
           format_number(brightness) + "," + format_number(a.lit_area) + "," +
           format_number(lit_share) + "," + format_number(light_share) + "," +
           format_number(area_share) + "," + format_number(ratio(brightness, west_brightness)) +
           "," + format_number(logdiff(brightness, west_brightness)) + "," +
           format_number(ratio(lit_share, west_lit)) + "," +
           format_number(logdiff(lit_share, west_lit));
    if (with_population)
      for (const std::string& cell :
           {format_number(r.population),
            format_number(r.compared && all_population > 0 ? r.population / all_population : NAN),
            format_number(r.population > 0 ? a.sum_area / r.population : NAN),
            std::to_string(r.units_without_population)}) {
        out += ',';
        out += cell;
      }
    if (with_centres)
      for (const Statistic& c : centres) {
        out += ',';
        if (const auto v = statistic_value(a, c)) out += format_number(*v);
      }
    out += "\n";
  }
  return out;
}

}  // namespace nl
