// The panel, convergence tables and GeoPackages (see panel_outputs.hpp).
#include "pipeline/app/panel_outputs.hpp"

#include "pipeline/analysis/centre_of_light.hpp"

#include <gdal_priv.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "pipeline/app/convergence_store.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/geopackage_writer.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/vector_source.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

// What the panel of one table holds, kept beside it (panel/.<table>.stacked): the panel file's
// size, then one line per release stacked, "<id> <size> <mtime_ns>" of its release table. A
// daily run whose releases so far are unchanged (same ids, same table stamps, in order) appends
// the new releases' rows instead of re-stacking the whole history, so one new release costs the
// same with 10 releases behind it as with 10,000.
struct Stacked {
  int64_t panel_size = -1;
  std::vector<std::string> lines;  // "<id> <size> <mtime_ns>"
};

// One stat per table (size and mtime together), by its path in the releases folder (open as
// `releases_fd`): a run stamps every release's tables, and the kernel then walks two names, not
// the whole path, for each of them.
std::string stamp_line(const std::string& id, const std::string& table, int releases_fd) {
  struct stat st {};
  if (::fstatat(releases_fd, (id + "/" + table + ".csv").c_str(), &st, 0) != 0) return "";
  // On the file clock, as fs::last_write_time gave it: stamps written before stay valid.
  using namespace std::chrono;
  const sys_time<nanoseconds> mtime{seconds(st.st_mtim.tv_sec) + nanoseconds(st.st_mtim.tv_nsec)};
  const auto on_file_clock = duration_cast<nanoseconds>(file_clock::from_sys(mtime).time_since_epoch()).count();
  return id + " " + std::to_string(st.st_size) + " " + std::to_string(on_file_clock);
}

Stacked read_stacked(const std::string& path) {
  Stacked s;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return s;
  s.panel_size = std::atoll(line.c_str());
  while (std::getline(in, line)) s.lines.push_back(line);
  return s;
}

// One table's rows from each of `ids` (from `from` on), the header only when `header`.
std::string stacked_rows(const std::string& out, const std::string& t, const std::vector<std::string>& ids, size_t from,
                         bool header) {
  std::string panel;
  for (size_t i = from; i < ids.size(); ++i) {
    std::ifstream in(out + "/releases/" + ids[i] + "/" + t + ".csv", std::ios::binary);
    if (!in) continue;
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      if (first) {
        first = false;
        if (!header) continue;  // one header
        header = false;
      }
      panel += line + "\n";
    }
  }
  return panel;
}

// The panel of table `t` over `ids`: appended to when it holds a prefix of them unchanged, else
// written whole (to a temporary, renamed). An append cut short (a crash) leaves a size the stamp
// file does not record, so the next run writes it whole.
void write_panel_table(const std::string& out, const std::string& t, const std::vector<std::string>& ids,
                       int releases_fd) {
  const std::string panel = out + "/panel/" + t + ".csv", stamp = out + "/panel/." + t + ".stacked";
  std::vector<std::string> now;
  now.reserve(ids.size());
  for (const auto& id : ids) now.push_back(stamp_line(id, t, releases_fd));
  const Stacked old = read_stacked(stamp);
  std::error_code ec;
  const auto size = fs::file_size(panel, ec);
  const bool prefix = !ec && old.panel_size == static_cast<int64_t>(size) && !old.lines.empty() &&
                      old.lines.size() <= now.size() && std::equal(old.lines.begin(), old.lines.end(), now.begin());
  if (prefix && old.lines.size() == now.size()) return;  // nothing new
  std::string text = stacked_rows(out, t, ids, prefix ? old.lines.size() : 0, !prefix);
  int64_t panel_size = 0;
  if (prefix) {
    std::ofstream app(panel, std::ios::binary | std::ios::app);
    app.write(text.data(), static_cast<std::streamsize>(text.size()));
    app.close();
    if (!app) throw UserError(panel + ": cannot append to the panel (disk full?)");
    panel_size = static_cast<int64_t>(size + text.size());
  } else {
    write_file_atomically(panel, text);
    panel_size = static_cast<int64_t>(text.size());
  }
  std::string lines = std::to_string(panel_size) + "\n";
  for (const auto& l : now) lines += l + "\n";
  write_file_atomically(stamp, lines);
}

}  // namespace

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
  const int releases_fd = ::open((out + "/releases").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    for (const auto& t : tables) write_panel_table(out, t, ids, releases_fd);
  } catch (...) {
    if (releases_fd >= 0) ::close(releases_fd);
    throw;
  }
  if (releases_fd >= 0) ::close(releases_fd);
  // The centre of light moves with the groups' rows of the panel's gaps table.
  if (!config.gaps.region_level.empty())
    if (const std::string c = centre_of_light_csv(read_whole_file(out + "/panel/gaps.csv").value_or("")); !c.empty())
      write_file_atomically(out + "/panel/centre_of_light.csv", c);
}

// Incremental: a run reads only the releases new since the last (app/convergence_store).
void write_convergence_tables(const std::string& out, const RunConfig& config, const std::vector<std::string>& ids) {
  update_convergence_tables(out, config, ids);
}

void write_level_geopackages(const std::string& out, const RunConfig& config, const std::string& latest) {
  auto level_index = [&](const std::string& name) { return nl::level_index(config, name); };
  const auto record = read_release_levels(out, latest);
  if (!record) throw UserError(out + "/releases/" + latest + ": no " + kReleaseLevelsFile + "; run again to rebuild it");
  const ReleaseLevels& latest_levels = *record;
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
    const TypedTable table = level_table(latest_levels, name, config.stats, config.min_valid_fraction);
    const auto s = srs.find(config.levels[own].zones);
    write_level_geopackage(out + "/" + name + ".gpkg", name, units, s == srs.end() ? nullptr : s->second.get(),
                           table);
    log_info("GeoPackage " + out + "/" + name + ".gpkg: " + std::to_string(units.size()) + " units, release " + latest);
  }
}

}  // namespace nl
