// The GeoPackages' units and geometries, prepared apart from their tables (see level_geopackages.hpp).
#include "pipeline/app/level_geopackages.hpp"

#include <omp.h>

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "pipeline/analysis/levels.hpp"
#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/app/derived_units_cache.hpp"
#include "pipeline/app/levels_records_seen.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/geometry_validity.hpp"
#include "pipeline/io/vector_source.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

GeoPackageLevel::GeoPackageLevel() = default;
GeoPackageLevel::GeoPackageLevel(GeoPackageLevel&&) noexcept = default;
GeoPackageLevel& GeoPackageLevel::operator=(GeoPackageLevel&&) noexcept = default;
GeoPackageLevel::~GeoPackageLevel() = default;

namespace {

void check_cancel(const std::atomic<bool>& cancel) {
  if (cancel.load(std::memory_order_relaxed)) throw Cancelled();
}

// Every level's units from the zone layers, and each zone layer's geometries (as the engine
// measured them: datum-corrected and repaired, before their reprojection to the raster's grid)
// and CRS.
struct ZoneGeometries {
  std::vector<LevelUnits> levels;
  std::map<std::string, std::vector<std::unique_ptr<OGRGeometry>>> geometries;  // by zone layer
  std::map<std::string, std::unique_ptr<OGRSpatialReference>> srs;
};

// Levels rebuilt from the layers' codes and fields exactly as the release tables were.
ZoneGeometries read_zone_geometries(const RunConfig& config, const std::atomic<bool>& cancel) {
  ZoneGeometries z;
  z.levels.resize(config.levels.size());
  for (size_t l = 0; l < config.levels.size(); ++l) {
    const LevelConfig& lc = config.levels[l];
    z.levels[l].name = lc.name;
    if (lc.zones.empty()) continue;
    const ZoneLayerConfig& zc = *std::find_if(config.zones.begin(), config.zones.end(),
                                              [&](const auto& c) { return c.name == lc.zones; });
    const VectorLayer source = open_vector_layer(zc.path, zc.layer);
    OGRLayer* layer = source.layer;
    auto& geoms = z.geometries[lc.zones];
    geoms.clear();
    z.levels[l].field_names = zc.fields;
    GeometryValidity validity;
    for (auto& feature : *layer) {
      check_cancel(cancel);
      z.levels[l].codes.emplace_back(feature->GetFieldAsString(zc.id_field.c_str()));
      std::vector<std::string> fields;
      for (const auto& f : zc.fields) fields.emplace_back(feature->GetFieldAsString(f.c_str()));
      z.levels[l].fields.push_back(std::move(fields));
      std::unique_ptr<OGRGeometry> copy = corrected_geometry(feature->GetGeometryRef(), zc.datum);
      repair_if_invalid(copy, validity);
      geoms.push_back(std::move(copy));
    }
    if (const OGRSpatialReference* s = layer->GetSpatialRef()) z.srs[lc.zones].reset(s->Clone());
  }
  derive_level_membership(config.levels, z.levels);
  return z;
}

// Level `target`'s units: its own layer's geometries, or (a derived level) the GEOS union of
// its members' polygons in the layer it is built from.
std::vector<UnitGeometry> level_units(const RunConfig& config, const ZoneGeometries& z, int target,
                                      const std::atomic<bool>& cancel) {
  const int own = own_level(z.levels, target);
  const auto& geoms = z.geometries.at(config.levels[own].zones);
  std::vector<UnitGeometry> units(z.levels[target].codes.size());
  for (size_t u = 0; u < units.size(); ++u) units[u].code = z.levels[target].codes[u];
  if (own == target) {
    for (size_t u = 0; u < units.size(); ++u) units[u].geometry.reset(geoms[u] ? geoms[u]->clone() : nullptr);
    return units;
  }
  const auto map = map_units(z.levels, own, target);
  std::vector<OGRMultiPolygon> members(units.size());
  for (size_t u = 0; u < map.size(); ++u) {
    if (!geoms[u]) continue;
    std::unique_ptr<OGRGeometry> mp(OGRGeometryFactory::forceToMultiPolygon(geoms[u]->clone()));
    if (wkbFlatten(mp->getGeometryType()) != wkbMultiPolygon) continue;
    for (const OGRPolygon* part : *mp->toMultiPolygon()) members[map[u]].addGeometry(part);
  }
  for (size_t u = 0; u < units.size(); ++u) {
    check_cancel(cancel);
    if (!members[u].IsEmpty()) units[u].geometry.reset(members[u].UnionCascaded());
  }
  return units;
}

// Level `target`'s units; a derived level's from what an earlier run kept in `kept_in` while
// `key` (derived_units_key) and the level's codes still match, else unioned and kept.
std::vector<UnitGeometry> kept_or_new_units(const RunConfig& config, const ZoneGeometries& z, int target,
                                            const std::atomic<bool>& cancel, const std::string& kept_in,
                                            const std::string& key, bool reuse_kept) {
  if (key.empty() || own_level(z.levels, target) == target) return level_units(config, z, target, cancel);
  const std::string& name = config.levels[target].name;
  if (auto kept = reuse_kept ? stored_derived_units(kept_in, name, key, z.levels[target].codes) : std::nullopt) {
    log_info("GeoPackage units of " + name + " kept from an earlier run");
    return std::move(*kept);
  }
  auto units = level_units(config, z, target, cancel);
  store_derived_units(kept_in, name, key, units);
  return units;
}

}  // namespace

std::vector<GeoPackageLevel> prepare_geopackage_levels(const RunConfig& config, const std::atomic<bool>& cancel,
                                                       const std::string& kept_in, bool reuse_kept) {
  const ZoneGeometries z = read_zone_geometries(config, cancel);
  const std::string key = kept_in.empty() ? "" : derived_units_key(config);
  std::vector<GeoPackageLevel> out;
  for (const auto& name : config.output.geopackage_levels) {
    const int target = level_index(config, name);
    const int own = own_level(z.levels, target);
    GeoPackageLevel level;
    level.name = name;
    level.units = kept_or_new_units(config, z, target, cancel, kept_in, key, reuse_kept);
    if (const auto s = z.srs.find(config.levels[own].zones); s != z.srs.end()) level.srs.reset(s->second->Clone());
    out.push_back(std::move(level));
  }
  return out;
}

void write_level_geopackages(const std::string& out, const RunConfig& config, const std::string& latest,
                             std::vector<GeoPackageLevel> levels) {
  const auto record = read_release_levels(out, latest);
  if (!record) throw_missing_levels_record(out, latest);
  for (GeoPackageLevel& level : levels) {
    const TypedTable table = level_table(*record, level.name, config.stats, config.min_valid_fraction);
    write_level_geopackage(out + "/" + level.name + ".gpkg", level.name, level.units, level.srs.get(), table);
    log_info("GeoPackage " + out + "/" + level.name + ".gpkg: " + std::to_string(level.units.size()) + " units, release " +
             latest);
  }
}

GeoPackageLevelsInBackground::GeoPackageLevelsInBackground(const RunConfig& config, const std::string& kept_in,
                                                           bool reuse_kept) {
  levels_ = std::async(std::launch::async, [this, &config, kept_in, reuse_kept] {
    const auto t0 = std::chrono::steady_clock::now();
    auto levels = prepare_geopackage_levels(config, cancel_, kept_in, reuse_kept);
    log_timing("GeoPackage units prepared (own thread, beside the releases)",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return levels;
  });
}

GeoPackageLevelsInBackground::~GeoPackageLevelsInBackground() {
  cancel_ = true;
  if (levels_.valid()) levels_.wait();  // its error, if any, goes unheard: the run stopped anyway
}

std::unique_ptr<GeoPackageLevelsInBackground> geopackage_levels_beside_run(const RunConfig& config, bool writer,
                                                                          const std::string& out, bool reuse_kept) {
  if (!writer || config.output.geopackage_levels.empty()) return nullptr;
  return std::make_unique<GeoPackageLevelsInBackground>(config, out, reuse_kept);
}

bool GeoPackageLevelsInBackground::running() const {
  return levels_.valid() && levels_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
}

ThreadsBesideGeoPackages::ThreadsBesideGeoPackages(const GeoPackageLevelsInBackground* background) {
  const int threads = omp_get_max_threads();
  if (!background || threads < 2 || !background->running()) return;
  restore_ = threads;
  omp_set_num_threads(threads - 1);
}

ThreadsBesideGeoPackages::~ThreadsBesideGeoPackages() {
  if (restore_) omp_set_num_threads(restore_);
}

std::vector<GeoPackageLevel> GeoPackageLevelsInBackground::take() {
  const auto t0 = std::chrono::steady_clock::now();
  levels_.wait();
  log_timing("waiting for the GeoPackage units",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return levels_.get();
}

}  // namespace nl
