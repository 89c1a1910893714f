// The maps of one release (see release_maps.hpp): values and classes per unit, then one
// choropleth per map through map_render.
#include "pipeline/pictures/release_maps.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <cstdio>
#include <filesystem>

#include "kernels/colour_scale.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/pictures/map_render.hpp"
#include "pipeline/pictures/map_shapes.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

struct ReleaseMaps::Layer {
  MapShapes shapes;
  std::unique_ptr<MapProjector> projector;
  MapCanvas canvas;
};

ReleaseMaps::ReleaseMaps(const RunConfig& config) : config_(config) {
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& level : config.levels) {
    if (level.zones.empty() || layers_.count(level.zones)) continue;
    for (const auto& z : config.zones) {
      if (z.name != level.zones) continue;
      auto layer = std::make_unique<Layer>();
      layer->shapes = read_map_shapes(z);
      layer->projector = std::make_unique<MapProjector>(layer->shapes.albers);
      layer->canvas = make_canvas(layer->shapes);
      layers_[z.name] = std::move(layer);
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_info("maps: zone geometry read, projected and snapped in " + format_number(std::round(s * 100) / 100) + " s");
}

ReleaseMaps::~ReleaseMaps() = default;

namespace {

int own_level(const std::vector<LevelUnits>& levels, int l) {
  while (levels[l].from >= 0) l = levels[l].from;
  return l;
}

// Each polygon's unit of `level` (-1: a polygon whose feature the level does not know).
std::vector<int64_t> polygon_units(const std::vector<LevelUnits>& levels, int own, int level, const MapShapes& shapes) {
  std::map<std::string, int64_t> own_index;
  for (size_t u = 0; u < levels[own].codes.size(); ++u) own_index.emplace(levels[own].codes[u], u);
  std::vector<int64_t> own_to_level;
  if (level != own) own_to_level = map_units(levels, own, level);
  std::vector<int64_t> out(shapes.ids.size(), -1);
  for (size_t p = 0; p < shapes.ids.size(); ++p) {
    const auto it = own_index.find(shapes.ids[p]);
    if (it == own_index.end()) continue;
    out[p] = level == own ? it->second : own_to_level[it->second];
  }
  return out;
}

struct UnitValues {
  std::vector<double> value;   // NaN where undefined
  std::vector<bool> included;  // at least min_valid_fraction valid
};

std::string level_label(const std::string& name) { return name; }

// Legend rows of a class scale, top = highest class.
std::vector<LegendEntry> class_rows(const ClassScale& s, const std::string& lowest_prefix) {
  std::vector<LegendEntry> rows;
  const size_t n = s.colours.size();
  for (size_t i = n; i-- > 0;) {
    std::string label;
    if (s.breaks.empty()) label = "all values";
    else if (i == n - 1) label = "\u2265 " + break_label(s.breaks.back());
    else if (i == 0) label = lowest_prefix + "< " + break_label(s.breaks.front());
    else label = break_label(s.breaks[i - 1]) + " \u2013 " + break_label(s.breaks[i]);
    rows.push_back({LegendEntry::swatch, s.colours[i], label});
  }
  return rows;
}

// Light per person: each unit's total light (sum_area) over its population (the population
// table's units, summed for levels made of them), on a log scale; units the table does not
// cover, or left out, hatched. Fills `s`'s colours and class rows; false when the level has no
// population (not made of the table's units).
bool per_person_spec(const std::vector<LevelUnits>& levels, size_t l, const PopulationConfig& population,
                     const std::vector<int64_t>& unit, double min_valid_fraction, ChoroplethSpec& s) {
  int from = -1;
  for (size_t i = 0; i < levels.size(); ++i)
    if (levels[i].name == population.level) from = static_cast<int>(i);
  if (from < 0 || population.by_code.empty()) return false;
  const std::vector<double> people = level_population(levels, from, static_cast<int>(l), population.by_code);
  if (people.empty()) return false;
  const LevelUnits& lu = levels[l];
  std::vector<double> per_person(lu.codes.size(), NAN), positive;
  for (size_t u = 0; u < per_person.size(); ++u) {
    if (people[u] > 0 && unit_included(lu.acc[u], min_valid_fraction)) per_person[u] = lu.acc[u].sum_area / people[u];
    if (per_person[u] > 0) positive.push_back(per_person[u]);
  }
  const ClassScale scale = log_light_scale(positive);
  for (const int64_t u : unit) {
    if (u < 0 || std::isnan(per_person[u])) s.fill.emplace_back();
    else if (per_person[u] > 0) s.fill.emplace_back(scale.colours[scale.class_of(per_person[u])]);
    else s.fill.emplace_back(map_colours::zero);
  }
  s.legend = class_rows(scale, "> 0, ");
  s.legend.push_back({LegendEntry::swatch, map_colours::zero, "0 (unlit)"});
  s.legend.push_back({LegendEntry::hatch, {}, "no population in the table"});
  return true;
}

}  // namespace

int outline_level(const std::vector<LevelUnits>& levels, int level) {
  const int own = own_level(levels, level);
  std::vector<int> coarser;
  for (size_t o = 0; o < levels.size(); ++o) {
    if (static_cast<int>(o) == level || levels[o].codes.size() >= levels[level].codes.size()) continue;
    try {
      // Through the shared finest units: provinces over cities though both are made of counties.
      if (static_cast<int>(o) != own) map_units(levels, own, static_cast<int>(o));
      coarser.push_back(static_cast<int>(o));
    } catch (const std::exception&) {
      // not made of the same units
    }
  }
  for (int o : coarser)
    if (levels[o].codes.size() * 10 <= levels[level].codes.size()) return o;
  return coarser.empty() ? -1 : coarser.front();
}

void ReleaseMaps::draw(const std::string& dir, const ReleaseMapInputs& in) const {
  make_directories(dir);
  // Levels draw in parallel: each writes its own files, so the bytes do not depend on the order.
  const int n = static_cast<int>(in.levels->size());
  std::vector<std::exception_ptr> failed(n);
#pragma omp parallel for schedule(dynamic)
  for (int l = 0; l < n; ++l) {
    try {
      draw_level(dir, in, static_cast<size_t>(l));
    } catch (...) {
      failed[l] = std::current_exception();
    }
  }
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
}

void ReleaseMaps::draw_level(const std::string& dir, const ReleaseMapInputs& in, size_t l) const {
  const auto& levels = *in.levels;
  const int own = own_level(levels, static_cast<int>(l));
  const auto layer_it = layers_.find(config_.levels[own].zones);
  if (layer_it == layers_.end()) return;  // a level of a layer without geometry to draw
  const Layer& layer = *layer_it->second;
  const std::vector<int64_t> unit = polygon_units(levels, own, static_cast<int>(l), layer.shapes);
  const LevelUnits& lu = levels[l];

  ChoroplethSpec base;
  base.unit_borders = group_outline_segments(layer.canvas.edges, unit);
  base.projector = layer.projector.get();
  const int o = outline_level(levels, static_cast<int>(l));
  std::string outline_name;
  if (o >= 0) {
    const std::vector<int64_t> group = polygon_units(levels, own, o, layer.shapes);
    base.outlines = group_outline_segments(layer.canvas.edges, group);
    outline_name = levels[o].name;
  }
  for (const auto& [lon, lat] : in.hu_line_lonlat) base.hu_line.push_back(layer.projector->project(lon, lat));
  const auto& a = layer.shapes.albers;
  char proj[160];
  std::snprintf(proj, sizeof proj, "parallels %g\u00b0N and %g\u00b0N, centre %g\u00b0E", a.lat_1, a.lat_2, a.lon_0);
  base.notes = {"Albers equal-area conic,", proj, "graticule every 10\u00b0",
                std::to_string(lu.codes.size()) + " " + lu.name + " units"};
  auto finish = [&](ChoroplethSpec& s) {
    s.legend.push_back({LegendEntry::hatch, {}, "left out: valid area < " + break_label(in.min_valid_fraction * 100) + " %"});
    if (o >= 0) s.legend.push_back({LegendEntry::line, map_colours::outline, outline_name + " outline"});
    if (!s.hu_line.empty()) s.legend.push_back({LegendEntry::dashed_line, map_colours::hu_line, "Hu line"});
  };
  auto included = [&](size_t u) { return unit_included(lu.acc[u], in.min_valid_fraction); };
  const std::string subtitle_tail = " \u00b7 " + in.product + " \u00b7 release " + in.release;

  // Brightness: log classes over the included units' positive values; zero and negative apart.
  {
    std::vector<double> mean(lu.codes.size(), NAN), positive;
    for (size_t u = 0; u < mean.size(); ++u) {
      mean[u] = statistic_value(lu.acc[u], Statistic::mean_area).value_or(NAN);
      if (included(u) && mean[u] > 0) positive.push_back(mean[u]);
    }
    const ClassScale scale = log_light_scale(positive);
    ChoroplethSpec s = base;
    s.title = "Brightness by " + level_label(lu.name) + ", " + in.release;
    s.subtitle = "mean_area: light per km\u00b2 of valid land (" + in.units + ")" + subtitle_tail;
    s.legend_heading = "mean_area (" + in.units + ")";
    bool any_negative = false;
    for (size_t p = 0; p < unit.size(); ++p) {
      const int64_t u = unit[p];
      if (u < 0 || !included(u) || std::isnan(mean[u])) s.fill.emplace_back();
      else if (mean[u] > 0) s.fill.emplace_back(scale.colours[scale.class_of(mean[u])]);
      else if (mean[u] == 0) s.fill.emplace_back(map_colours::zero);
      else s.fill.emplace_back(map_colours::negative), any_negative = true;
    }
    s.legend = class_rows(scale, "> 0, ");
    s.legend.push_back({LegendEntry::swatch, map_colours::zero, "0 (unlit)"});
    if (any_negative) s.legend.push_back({LegendEntry::swatch, map_colours::negative, "negative"});
    finish(s);
    draw_choropleth_png(dir + "/brightness_" + lu.name + ".png", layer.canvas, s);
  }
  // Gap to the reference: 1 − brightness / reference, on a diverging scale centred on 0.
  if (in.reference_brightness > 0 && in.gap_brightness) {
    std::vector<double> gap(lu.codes.size(), NAN), defined;
    for (size_t u = 0; u < gap.size(); ++u) {
      const double b = (*in.gap_brightness)[l][u];
      if (!std::isnan(b)) gap[u] = 1.0 - b / in.reference_brightness;
      if (included(u) && !std::isnan(gap[u])) defined.push_back(gap[u]);
    }
    const ClassScale scale = diverging_scale(defined);
    ChoroplethSpec s = base;
    s.title = "Gap to " + in.reference_name + " by " + level_label(lu.name) + ", " + in.release;
    s.subtitle = "gap_to_reference = 1 \u2212 brightness / " + in.reference_name + "'s (" + in.units + ")" + subtitle_tail;
    s.legend_heading = "gap_to_reference";
    for (size_t p = 0; p < unit.size(); ++p) {
      const int64_t u = unit[p];
      if (u < 0 || !included(u) || std::isnan(gap[u])) s.fill.emplace_back();
      else s.fill.emplace_back(scale.colours[scale.class_of(gap[u])]);
    }
    s.legend = class_rows(scale, "");
    if (!scale.breaks.empty() && scale.breaks.back() == 1) s.legend.front().label = "1 (unlit)";
    s.legend.front().label += "  (darker)";
    s.legend.back().label += "  (brighter)";
    finish(s);
    draw_choropleth_png(dir + "/gap_" + lu.name + ".png", layer.canvas, s);
  }
  // Lit share: lit area / valid area on fixed breaks; no lit cell at all is its own class.
  {
    const ClassScale scale = share_scale();
    ChoroplethSpec s = base;
    s.title = "Lit share by " + level_label(lu.name) + ", " + in.release;
    s.subtitle = "lit area / valid area" + subtitle_tail;
    s.legend_heading = "lit share";
    for (size_t p = 0; p < unit.size(); ++p) {
      const int64_t u = unit[p];
      const double share = u >= 0 && lu.acc[u].valid_area > 0 ? lu.acc[u].lit_area / lu.acc[u].valid_area : NAN;
      if (u < 0 || !included(u) || std::isnan(share)) s.fill.emplace_back();
      else if (share == 0) s.fill.emplace_back(map_colours::zero);
      else s.fill.emplace_back(scale.colours[scale.class_of(share)]);
    }
    s.legend = class_rows(scale, "> 0, ");
    s.legend.push_back({LegendEntry::swatch, map_colours::zero, "0 (no lit cell)"});
    finish(s);
    draw_choropleth_png(dir + "/lit_share_" + lu.name + ".png", layer.canvas, s);
  }
  if (ChoroplethSpec s = base; !config_.population.table.empty() &&
                               per_person_spec(levels, l, config_.population, unit, in.min_valid_fraction, s)) {
    s.title = "Light per person by " + level_label(lu.name) + ", " + in.release;
    s.subtitle = "sum_area / population (" + in.units + " · km² per person)" + subtitle_tail;
    s.legend_heading = "light per person";
    finish(s);
    draw_choropleth_png(dir + "/light_per_person_" + lu.name + ".png", layer.canvas, s);
  }
}

}  // namespace nl
