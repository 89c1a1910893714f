// The maps of one release (see release_maps.hpp): values and classes per unit, then one
// choropleth per map through map_render.
#include "pipeline/pictures/release_maps.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <tuple>

#include <cairo.h>

#include "kernels/colour_scale.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/pictures/map_render.hpp"
#include "pipeline/pictures/map_shapes.hpp"
#include "pipeline/pictures/stored_maps.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

struct ReleaseMaps::Layer {
  MapGeometry geometry;
  std::unique_ptr<MapProjector> projector;
  MapBackdrop backdrop;
};

struct ReleaseMaps::Mask {
  std::vector<int64_t> group;  // what it was made for: made again if a release's groups differ
  StrokeMask mask;
};

namespace {
double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
std::string rounded(double s) { return format_number(std::round(s * 100) / 100); }
}  // namespace

ReleaseMaps::ReleaseMaps(const RunConfig& config, const MapGeometrySource& geometry, std::string out)
    : config_(config), out_(std::move(out)) {
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& level : config.levels) {
    if (level.zones.empty() || layers_.count(level.zones)) continue;
    for (const auto& z : config.zones) {
      if (z.name != level.zones) continue;
      auto layer = std::make_unique<Layer>();
      layer->geometry = geometry(z);
      layer->projector = std::make_unique<MapProjector>(layer->geometry.albers);
      layer->backdrop = map_backdrop(layer->geometry.canvas, layer->projector.get());
      layers_[z.name] = std::move(layer);
    }
  }
  log_info("maps: zone geometry ready in " + rounded(seconds(t0)) + " s");
}

ReleaseMaps::~ReleaseMaps() = default;

namespace {

// Each polygon's unit of `level` (-1: a polygon whose feature the level does not know).
std::vector<int64_t> polygon_units(const std::vector<LevelUnits>& levels, int own, int level, const MapGeometry& shapes) {
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

namespace {

// What the maps of one level share: the polygons' units, the notes, the legend's closing rows.
struct LevelContext {
  const LevelUnits* lu = nullptr;
  const std::vector<int64_t>* unit = nullptr;  // [polygon] → unit of the level, -1: none
  std::string outline_name;                    // empty: no outlines
  double min_valid_fraction = 0;
  std::string subtitle_tail;
  bool included(size_t u) const { return unit_included(lu->acc[u], min_valid_fraction); }
  void finish(ChoroplethSpec& s) const {
    s.legend.push_back({LegendEntry::hatch, {}, "left out: valid area < " + break_label(min_valid_fraction * 100) + " %"});
    if (!outline_name.empty()) s.legend.push_back({LegendEntry::line, map_colours::outline, outline_name + " outline"});
    if (!s.hu_line.empty()) s.legend.push_back({LegendEntry::dashed_line, map_colours::hu_line, "Hu line"});
  }
};

// Brightness: log classes over the included units' positive values; zero and negative apart.
void brightness_spec(const LevelContext& c, const ReleaseMapInputs& in, ChoroplethSpec& s) {
  const LevelUnits& lu = *c.lu;
  std::vector<double> mean(lu.codes.size(), NAN), positive;
  const Statistic mean_area = parse_statistic("mean_area");
  for (size_t u = 0; u < mean.size(); ++u) {
    mean[u] = statistic_value(lu.acc[u], mean_area).value_or(NAN);
    if (c.included(u) && mean[u] > 0) positive.push_back(mean[u]);
  }
  const ClassScale scale = log_light_scale(positive);
  s.title = "Brightness by " + level_label(lu.name) + ", " + in.release;
  s.subtitle = "mean_area: light per km\u00b2 of valid land (" + in.units + ")" + c.subtitle_tail;
  s.legend_heading = "mean_area (" + in.units + ")";
  bool any_negative = false;
  for (const int64_t u : *c.unit) {
    if (u < 0 || !c.included(u) || std::isnan(mean[u])) s.fill.emplace_back();
    else if (mean[u] > 0) s.fill.emplace_back(scale.colours[scale.class_of(mean[u])]);
    else if (mean[u] == 0) s.fill.emplace_back(map_colours::zero);
    else s.fill.emplace_back(map_colours::negative), any_negative = true;
  }
  s.legend = class_rows(scale, "> 0, ");
  s.legend.push_back({LegendEntry::swatch, map_colours::zero, "0 (unlit)"});
  if (any_negative) s.legend.push_back({LegendEntry::swatch, map_colours::negative, "negative"});
  c.finish(s);
}

// Gap to the reference: 1 − brightness / reference, on a diverging scale centred on 0.
void gap_spec(const LevelContext& c, const ReleaseMapInputs& in, size_t l, ChoroplethSpec& s) {
  const LevelUnits& lu = *c.lu;
  std::vector<double> gap(lu.codes.size(), NAN), defined;
  for (size_t u = 0; u < gap.size(); ++u) {
    const double b = (*in.gap_brightness)[l][u];
    if (!std::isnan(b)) gap[u] = 1.0 - b / in.reference_brightness;
    if (c.included(u) && !std::isnan(gap[u])) defined.push_back(gap[u]);
  }
  const ClassScale scale = diverging_scale(defined);
  s.title = "Gap to " + in.reference_name + " by " + level_label(lu.name) + ", " + in.release;
  s.subtitle = "gap_to_reference = 1 \u2212 brightness / " + in.reference_name + "'s (" + in.units + ")" + c.subtitle_tail;
  s.legend_heading = "gap_to_reference";
  for (const int64_t u : *c.unit) {
    if (u < 0 || !c.included(u) || std::isnan(gap[u])) s.fill.emplace_back();
    else s.fill.emplace_back(scale.colours[scale.class_of(gap[u])]);
  }
  s.legend = class_rows(scale, "");
  if (!scale.breaks.empty() && scale.breaks.back() == 1) s.legend.front().label = "1 (unlit)";
  s.legend.front().label += "  (darker)";
  s.legend.back().label += "  (brighter)";
  c.finish(s);
}

// Lit share: lit area / valid area on fixed breaks; no lit cell at all is its own class.
void lit_share_spec(const LevelContext& c, const ReleaseMapInputs& in, ChoroplethSpec& s) {
  const LevelUnits& lu = *c.lu;
  const ClassScale scale = share_scale();
  s.title = "Lit share by " + level_label(lu.name) + ", " + in.release;
  s.subtitle = "lit area / valid area" + c.subtitle_tail;
  s.legend_heading = "lit share";
  for (const int64_t u : *c.unit) {
    const double share = u >= 0 && lu.acc[u].valid_area > 0 ? lu.acc[u].lit_area / lu.acc[u].valid_area : NAN;
    if (u < 0 || !c.included(u) || std::isnan(share)) s.fill.emplace_back();
    else if (share == 0) s.fill.emplace_back(map_colours::zero);
    else s.fill.emplace_back(scale.colours[scale.class_of(share)]);
  }
  s.legend = class_rows(scale, "> 0, ");
  s.legend.push_back({LegendEntry::swatch, map_colours::zero, "0 (no lit cell)"});
  c.finish(s);
}

struct MapJob {
  std::string path;
  const MapCanvas* canvas = nullptr;
  const MapBackdrop* backdrop = nullptr;
  ChoroplethSpec spec;
};

}  // namespace

std::vector<const StrokeMask*> ReleaseMaps::masks(const std::vector<MaskRequest>& requests) {
  std::vector<size_t> missing;  // requests whose mask is to be made, each key once
  std::vector<std::tuple<std::string, int, double>> keys;
  for (size_t i = 0; i < requests.size(); ++i) {
    const MaskRequest& r = requests[i];
    auto key = std::make_tuple(r.layer, r.level, r.width);
    const auto it = masks_.find(key);
    if ((it != masks_.end() && it->second->group == *r.group) || std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    keys.push_back(key);
    missing.push_back(i);
  }
  // Kept in OUT under the geometry's key, the stroke (and the cairo that drew it) and the groups.
  std::vector<std::unique_ptr<Mask>> made(missing.size());
  std::vector<std::string> paths(missing.size()), mask_keys(missing.size());
  for (size_t k = 0; k < missing.size(); ++k) {
    const MaskRequest& r = requests[missing[k]];
    const MapGeometry& geometry = layers_.at(r.layer)->geometry;
    made[k] = std::make_unique<Mask>(Mask{*r.group, {}});
    if (out_.empty() || geometry.key.empty()) continue;
    paths[k] = out_ + "/panel/.maps/" + r.layer + "." + r.name + ".mask";
    const std::string groups(reinterpret_cast<const char*>(r.group->data()), r.group->size() * sizeof(int64_t));
    mask_keys[k] = geometry.key + "stroke " + format_number(r.width) + "\ncairo " + cairo_version_string() + "\ngroups " +
                   sha256_text(groups) + "\n";
    const MapLayout& l = geometry.canvas.layout;
    StrokeMask& m = made[k]->mask;
    if (auto kept = stored_mask(paths[k], mask_keys[k])) {
      m = {l.width, l.height, cairo_format_stride_for_width(CAIRO_FORMAT_A8, l.width), std::move(*kept)};
      if (m.coverage.size() != static_cast<size_t>(m.stride) * m.height) m.coverage.clear();
    }
  }
  for (size_t k = 0; k < missing.size(); ++k) {  // edges, for layers read back without them
    MapCanvas& canvas = layers_.at(requests[missing[k]].layer)->geometry.canvas;
    if (made[k]->mask.coverage.empty() && canvas.edges.empty()) canvas.edges = edge_table(canvas.rings);
  }
#pragma omp parallel for schedule(dynamic)
  for (int k = 0; k < static_cast<int>(missing.size()); ++k) {
    if (!made[k]->mask.coverage.empty()) continue;
    const MaskRequest& r = requests[missing[k]];
    const MapCanvas& canvas = layers_.at(r.layer)->geometry.canvas;
    made[k]->mask = stroke_mask(canvas.layout, group_outline_segments(canvas.edges, *r.group), r.width);
    if (!paths[k].empty()) store_mask(paths[k], mask_keys[k], made[k]->mask.coverage);
  }
  for (size_t k = 0; k < missing.size(); ++k) masks_[keys[k]] = std::move(made[k]);
  std::vector<const StrokeMask*> out;
  for (const MaskRequest& r : requests) out.push_back(&masks_.at(std::make_tuple(r.layer, r.level, r.width))->mask);
  return out;
}

void ReleaseMaps::draw(const std::string& dir, const ReleaseMapInputs& in) {
  make_directories(dir);
  // What `nightlights report` needs to draw these maps again, beside them (stored_maps).
  write_file_atomically(dir + "/" + kMapInputsFile, encode_map_inputs(in, config_.population.by_code));
  const auto t0 = std::chrono::steady_clock::now();
  const auto& levels = *in.levels;
  const size_t n = levels.size();
  // Each level's layer, its polygons' units, and the groups of its outlines' level.
  std::vector<const std::string*> layer_of(n, nullptr);
  std::vector<std::vector<int64_t>> unit(n), group(n);
  std::vector<int> outline(n, -1);
  std::vector<MaskRequest> requests;
  for (size_t l = 0; l < n; ++l) {
    const int own = own_level(levels, static_cast<int>(l));
    const auto it = layers_.find(config_.levels[own].zones);
    if (it == layers_.end()) continue;  // a level of a layer without geometry to draw
    layer_of[l] = &it->first;
    unit[l] = polygon_units(levels, own, static_cast<int>(l), it->second->geometry);
    outline[l] = outline_level(levels, static_cast<int>(l));
    if (outline[l] >= 0) group[l] = polygon_units(levels, own, outline[l], it->second->geometry);
    requests.push_back({it->first, static_cast<int>(l), levels[l].name + ".borders", kBorderWidth, &unit[l]});
    if (outline[l] >= 0)
      requests.push_back({it->first, outline[l], levels[outline[l]].name + ".outlines", kOutlineWidth, &group[l]});
  }
  const std::vector<const StrokeMask*> mask = masks(requests);
  const double masks_s = seconds(t0);

  std::vector<MapJob> jobs;
  for (size_t l = 0, m = 0; l < n; ++l) {
    if (!layer_of[l]) continue;
    const Layer& layer = *layers_.at(*layer_of[l]);
    const LevelUnits& lu = levels[l];
    LevelContext c{&lu, &unit[l], outline[l] >= 0 ? levels[outline[l]].name : "", in.min_valid_fraction,
                   " \u00b7 " + in.product + " \u00b7 release " + in.release};
    ChoroplethSpec base;
    base.unit_borders = mask[m++];
    if (outline[l] >= 0) base.outlines = mask[m++];
    for (const auto& [lon, lat] : in.hu_line_lonlat) base.hu_line.push_back(layer.projector->project(lon, lat));
    const auto& a = layer.geometry.albers;
    char proj[160];
    std::snprintf(proj, sizeof proj, "parallels %g\u00b0N and %g\u00b0N, centre %g\u00b0E", a.lat_1, a.lat_2, a.lon_0);
    base.notes = {"Albers equal-area conic,", proj, "graticule every 10\u00b0",
                  std::to_string(lu.codes.size()) + " " + lu.name + " units"};
    auto add = [&](const std::string& kind) {
      jobs.push_back({dir + "/" + kind + "_" + lu.name + ".png", &layer.geometry.canvas, &layer.backdrop, base});
      return &jobs.back().spec;
    };
    brightness_spec(c, in, *add("brightness"));
    if (in.reference_brightness > 0 && in.gap_brightness) gap_spec(c, in, l, *add("gap"));
    lit_share_spec(c, in, *add("lit_share"));
    if (ChoroplethSpec s = base; !config_.population.table.empty() &&
                                 per_person_spec(levels, l, config_.population, unit[l], in.min_valid_fraction, s)) {
      s.title = "Light per person by " + level_label(lu.name) + ", " + in.release;
      s.subtitle = "sum_area / population (" + in.units + " · km² per person)" + c.subtitle_tail;
      s.legend_heading = "light per person";
      c.finish(s);
      *add("light_per_person") = std::move(s);
    }
  }
  // Every map in parallel: each writes its own file, so the bytes do not depend on the order.
  const auto t1 = std::chrono::steady_clock::now();
  std::vector<std::exception_ptr> failed(jobs.size());
#pragma omp parallel for schedule(dynamic)
  for (int j = 0; j < static_cast<int>(jobs.size()); ++j) {
    try {
      draw_choropleth_png(jobs[j].path, *jobs[j].canvas, *jobs[j].backdrop, jobs[j].spec);
    } catch (...) {
      failed[j] = std::current_exception();
    }
  }
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
  log_timing("maps: outlines", masks_s);
  log_timing("maps: " + std::to_string(jobs.size()) + " maps drawn", seconds(t1));
}

}  // namespace nl
