// The analysis stage of one release (see release_analysis.hpp), one function per table.
#include "pipeline/analysis/release_analysis.hpp"

#include <algorithm>
#include <set>

#include "pipeline/analysis/gap_sentences.hpp"
#include "pipeline/analysis/inequality_tables.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

int level_index(const RunConfig& config, const std::string& name) {
  for (size_t l = 0; l < config.levels.size(); ++l)
    if (config.levels[l].name == name) return static_cast<int>(l);
  return -1;
}

namespace {

// Own layers take their slice of the combined zones; the rest merge finer levels.
std::vector<LevelUnits> roll_up_levels(const RunConfig& cfg, const MeasuredZones& zones,
                                      const std::vector<ZoneAccumulator>* accumulators) {
  std::vector<LevelUnits> levels(cfg.levels.size());
  for (size_t l = 0; l < cfg.levels.size(); ++l) {
    const LevelConfig& lc = cfg.levels[l];
    levels[l].name = lc.name;
    if (lc.zones.empty()) continue;
    size_t layer = 0;
    while (cfg.zones[layer].name != lc.zones) ++layer;
    const ZoneSet& zs = *zones.layers[layer];
    levels[l].codes = zs.ids;
    levels[l].field_names = zs.field_names;
    levels[l].fields = zs.fields;
    const auto first = accumulators->begin() + static_cast<std::ptrdiff_t>(zones.offset[layer]);
    levels[l].acc.assign(first, first + static_cast<std::ptrdiff_t>(zs.size()));
  }
  derive_level_membership(cfg.levels, levels);
  merge_level_accumulators(levels);
  return levels;
}

// Population per unit of every level made of the table's level (empty for the others).
std::vector<std::vector<double>> population_by_level(const RunConfig& cfg, const std::vector<LevelUnits>& levels) {
  std::vector<std::vector<double>> population(levels.size());
  if (cfg.population.table.empty()) return population;
  for (size_t l = 0; l < levels.size(); ++l)
    population[l] = level_population(levels, level_index(cfg, cfg.population.level), static_cast<int>(l),
                                     cfg.population.by_code);
  return population;
}

// Each unit's region (for the tables and regressions): the region of most of its area.
std::vector<std::vector<std::string>> regions_by_level(const RunConfig& cfg, const std::vector<LevelUnits>& levels) {
  std::vector<std::vector<std::string>> region_of_level(levels.size());
  const int base = cfg.gaps.region_level.empty() ? -1 : level_index(cfg, cfg.gaps.level);
  if (base < 0) return region_of_level;
  const int region_level = level_index(cfg, cfg.gaps.region_level);
  std::vector<std::string> region_of_base;
  for (int64_t r : map_units(levels, base, region_level)) region_of_base.push_back(levels[region_level].codes[r]);
  for (size_t l = 0; l < levels.size(); ++l) {
    try {
      region_of_level[l] = majority_groups(levels, base, static_cast<int>(l), region_of_base);
    } catch (const UserError&) {
      // a level of its own layer, not made of the base units: no region column
    }
  }
  return region_of_level;
}

void gap_tables(const RunConfig& cfg, const std::string& release, const std::vector<std::vector<double>>& population,
                ReleaseTables& t) {
  if (cfg.gaps.region_level.empty()) return;
  const int base = level_index(cfg, cfg.gaps.level), region = level_index(cfg, cfg.gaps.region_level);
  const auto unit_map = map_units(t.levels, base, region);
  std::vector<std::string> group(unit_map.size());
  for (size_t u = 0; u < unit_map.size(); ++u) group[u] = t.levels[region].codes[unit_map[u]];
  const std::vector<double>* base_population = population[base].empty() ? nullptr : &population[base];
  const GapTable gaps = gap_table(cfg.gaps, t.levels[base], group, cfg.min_valid_fraction, base_population);
  t.reference_brightness = gaps.reference_brightness;
  t.gaps_csv = gaps_csv(release, gaps, cfg.gaps, base_population != nullptr, accumulator_needs(cfg.stats).centre);
  t.words = "release " + release + " in words (rounded; gaps.csv holds the full values):";
  for (const auto& sentence : gap_sentences(gaps, cfg.gaps, cfg.min_valid_fraction)) t.words += "\n  " + sentence;
}

// The side of each unit of the Hu line's level; units the sides do not cover count as west.
std::vector<std::string> hu_sides_of_units(const LevelUnits& level, const HuLineSides& hu) {
  std::vector<std::string> side;
  for (const auto& code : level.codes) {
    const auto it = hu.side_of_unit->find(code);
    side.push_back(it == hu.side_of_unit->end() ? "west" : it->second);
  }
  return side;
}

// Units outside the compared regions (Taiwan, Hong Kong, Macau) stay out of every grouping.
std::string inequality_table(const RunConfig& cfg, const std::string& release, const ReleaseTables& t,
                             const std::vector<std::vector<double>>& population,
                             const std::vector<std::string>& hu_of_base) {
  std::string text = inequality_csv_header();
  const std::set<std::string> compared(cfg.gaps.groups.begin(), cfg.gaps.groups.end());
  for (const auto& name : cfg.inequality.levels) {
    const int l = level_index(cfg, name);
    const std::vector<std::string>& region_groups = t.region_of_level[l];
    for (const auto& grouping : cfg.inequality.groupings) {
      std::vector<std::string> groups = region_groups;
      std::set<std::string> grouping_compared = compared;
      if (grouping != "region") {
        groups = majority_groups(t.levels, level_index(cfg, cfg.hu_line.level), l, hu_of_base);
        if (!region_groups.empty())
          for (size_t u = 0; u < groups.size(); ++u)
            if (!compared.count(region_groups[u])) groups[u] = "outside";
        grouping_compared = {"east", "west"};
      }
      // Per land area always; per person as well when the level has populations.
      text += inequality_rows(release, t.levels[l], grouping, groups, grouping_compared, cfg.min_valid_fraction);
      if (!population[l].empty())
        text += inequality_rows(release, t.levels[l], grouping, groups, grouping_compared, cfg.min_valid_fraction,
                                &population[l]);
    }
  }
  return text;
}

void level_tables(const RunConfig& cfg, const std::string& release, const MeasuredZones& zones, ReleaseTables& t) {
  const int base = level_index(cfg, cfg.gaps.level);
  std::vector<LevelUnits> saturation;
  if (zones.saturation) saturation = roll_up_levels(cfg, zones, zones.saturation);
  for (size_t l = 0; l < t.levels.size(); ++l) {
    const auto& brightness = t.brightness_of_level.emplace_back(
        gap_brightness(t.levels, base, static_cast<int>(l), cfg.min_valid_fraction));
    std::vector<double>& saturated = t.saturated_of_level.emplace_back();
    for (const ZoneAccumulator& a : zones.saturation ? saturation[l].acc : std::vector<ZoneAccumulator>{})
      saturated.push_back(a.sum_area);  // Σ coverage · area · [DN = 63]
    t.level_csv.push_back(level_csv(release, t.levels[l], cfg.stats, cfg.min_valid_fraction, t.reference_brightness,
                                    t.region_of_level[l], &brightness, zones.saturation ? &saturated : nullptr));
  }
}

}  // namespace

ReleaseTables analyse_release(const RunConfig& config, const std::string& release, const MeasuredZones& zones,
                              const HuLineSides* hu) {
  ReleaseTables t;
  t.release = release;
  t.levels = roll_up_levels(config, zones, zones.accumulators);
  const auto population = population_by_level(config, t.levels);
  t.region_of_level = regions_by_level(config, t.levels);
  gap_tables(config, release, population, t);
  std::vector<std::string> hu_of_base;
  if (hu) {
    hu_of_base = hu_sides_of_units(t.levels[level_index(config, config.hu_line.level)], *hu);
    const int64_t east = std::count(hu_of_base.begin(), hu_of_base.end(), "east");
    const int64_t west = static_cast<int64_t>(hu_of_base.size()) - east;
    t.hu_line_csv = hu_line_csv(release, hu->shape, *hu->east, *hu->west, east, west);
  }
  if (config.inequality.enabled) t.inequality_csv = inequality_table(config, release, t, population, hu_of_base);
  level_tables(config, release, zones, t);
  return t;
}

}  // namespace nl
