// The panel, convergence tables and GeoPackages (see panel_outputs.hpp).
#include "pipeline/app/panel_outputs.hpp"

#include "pipeline/analysis/centre_of_light.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "pipeline/analysis/convergence_tables.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/geopackage_writer.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/vector_source.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

namespace fs = std::filesystem;

void write_panel_tables(const std::string& out, const RunConfig& config, const std::vector<std::string>& ids) {
  if (ids.empty()) {
    // No release has tables: an old panel would list releases the manifest no longer backs.
    std::error_code ec;
    fs::remove_all(out + "/panel", ec);
    return;
  }
  make_directories(out + "/panel");
  std::vector<std::string> tables;
  for (const auto& l : config.levels) tables.push_back(l.name);
  if (!config.gaps.region_level.empty()) tables.push_back("gaps");
  if (config.hu_line.enabled) tables.push_back("hu_line");
  if (config.inequality.enabled) tables.push_back("inequality");
  for (const auto& t : tables) {
    std::string panel;
    for (const auto& id : ids) {
      std::ifstream in(out + "/releases/" + id + "/" + t + ".csv", std::ios::binary);
      if (!in) continue;
      std::string line;
      bool first = true;
      while (std::getline(in, line)) {
        if (first) {
          first = false;
          if (!panel.empty()) continue;  // one header
        }
        panel += line + "\n";
      }
    }
    write_file_atomically(out + "/panel/" + t + ".csv", panel);
    if (const std::string c = t == "gaps" ? centre_of_light_csv(panel) : ""; !c.empty())
      write_file_atomically(out + "/panel/centre_of_light.csv", c);
  }
}

void write_convergence_tables(const std::string& out, const RunConfig& config, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::string all = convergence_csv_header();
  const GdpTable* gdp = config.convergence.gdp_path.empty() ? nullptr : &config.convergence.gdp;
  for (const auto& level : config.convergence.levels) {
    std::vector<std::string> tables;
    for (const auto& id : ids)
      tables.push_back(read_whole_file(out + "/releases/" + id + "/" + level + ".csv").value_or(""));
    const ConvergenceTables t =
        convergence_tables(level, ids, tables, config.convergence.region_dummies, gdp);
    all += t.convergence_csv;
    for (const auto& [name, table] : t.growth_csv) write_file_atomically(out + "/panel/growth_" + name + ".csv", table);
  }
  write_file_atomically(out + "/panel/convergence.csv", all);
}

void write_level_geopackages(const std::string& out, const RunConfig& config, const std::string& latest) {
  auto level_index = [&](const std::string& name) { return nl::level_index(config, name); };
  // Units and geometries straight from the zone layers (datum-corrected), levels rebuilt from
  // their codes and fields exactly as the release tables were.
  std::vector<LevelUnits> levels(config.levels.size());
  std::map<std::string, std::vector<std::unique_ptr<OGRGeometry>>> geometries;  // by zone layer
  std::map<std::string, std::unique_ptr<OGRSpatialReference>> srs;
  for (size_t l = 0; l < config.levels.size(); ++l) {
    const LevelConfig& lc = config.levels[l];
    levels[l].name = lc.name;
    if (lc.zones.empty()) continue;
    const ZoneLayerConfig& z = *std::find_if(config.zones.begin(), config.zones.end(),
                                             [&](const auto& zc) { return zc.name == lc.zones; });
    const VectorLayer source = open_vector_layer(z.path, z.layer);
    OGRLayer* layer = source.layer;
    auto& geoms = geometries[lc.zones];
    geoms.clear();
    levels[l].field_names = z.fields;
    for (auto& feature : *layer) {
      levels[l].codes.emplace_back(feature->GetFieldAsString(z.id_field.c_str()));
      std::vector<std::string> fields;
      for (const auto& f : z.fields) fields.emplace_back(feature->GetFieldAsString(f.c_str()));
      levels[l].fields.push_back(std::move(fields));
      // The geometry as the engine measured it, before its reprojection to the raster's grid.
      std::unique_ptr<OGRGeometry> copy = corrected_geometry(feature->GetGeometryRef(), z.datum);
      repair_if_invalid(copy);
      geoms.push_back(std::move(copy));
    }
    if (const OGRSpatialReference* s = layer->GetSpatialRef()) srs[lc.zones].reset(s->Clone());
  }
  derive_level_membership(config.levels, levels);
  for (const auto& name : config.output.geopackage_levels) {
    const int target = level_index(name);
    int own = target;
    while (levels[own].from >= 0) own = levels[own].from;
    auto& geoms = geometries[config.levels[own].zones];
    std::vector<UnitGeometry> units(levels[target].codes.size());
    for (size_t u = 0; u < units.size(); ++u) units[u].code = levels[target].codes[u];
    if (own == target) {
      for (size_t u = 0; u < units.size(); ++u) units[u].geometry.reset(geoms[u] ? geoms[u]->clone() : nullptr);
    } else {
      // Derived units: the GEOS union of their members' polygons.
      const auto map = map_units(levels, own, target);
      std::vector<OGRMultiPolygon> members(units.size());
      for (size_t u = 0; u < map.size(); ++u) {
        if (!geoms[u]) continue;
        std::unique_ptr<OGRGeometry> mp(OGRGeometryFactory::forceToMultiPolygon(geoms[u]->clone()));
        if (wkbFlatten(mp->getGeometryType()) != wkbMultiPolygon) continue;
        for (const OGRPolygon* part : *mp->toMultiPolygon()) members[map[u]].addGeometry(part);
      }
      for (size_t u = 0; u < units.size(); ++u)
        if (!members[u].IsEmpty()) units[u].geometry.reset(members[u].UnionCascaded());
    }
    const std::string table = read_whole_file(out + "/releases/" + latest + "/" + name + ".csv").value_or("");
    const auto s = srs.find(config.levels[own].zones);
    write_level_geopackage(out + "/" + name + ".gpkg", name, units, s == srs.end() ? nullptr : s->second.get(),
                           table);
    log_info("GeoPackage " + out + "/" + name + ".gpkg: " + std::to_string(units.size()) + " units, release " + latest);
  }
}

}  // namespace nl
