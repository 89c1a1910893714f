#include "pipeline/app/batch_run.hpp"

#include <gdal_priv.h>
#include <omp.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <fstream>
#include <sstream>

#include "pipeline/io/black_marble.hpp"
#include "pipeline/io/build_info.hpp"
#include "pipeline/engine/cluster.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/analysis/gap_sentences.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/geopackage_writer.hpp"
#include "pipeline/analysis/hu_line.hpp"
#include "pipeline/analysis/inequality_tables.hpp"
#include "pipeline/analysis/convergence_tables.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/io/manifest.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/output_lock.hpp"
#include "pipeline/io/releases.hpp"
#include "pipeline/io/temporary_files.hpp"
#include "pipeline/engine/zonal_engine.hpp"
#include "pipeline/io/zone_checks.hpp"
#include "pipeline/io/zone_layer.hpp"
#ifdef NIGHTLIGHTS_WITH_CAIRO
#include "pipeline/pictures/panel_charts.hpp"
#include "pipeline/pictures/release_maps.hpp"
#endif

namespace nl {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }

struct Interrupted : std::runtime_error {
  int signal;
  explicit Interrupted(int s) : std::runtime_error("interrupted"), signal(s) {}
};

void check_interrupt() {
  if (g_signal) throw Interrupted(g_signal);
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Zones of every layer, prepared for one grid (from the coverage cache when valid).
struct PreparedZones {
  GridGeometry grid;
  std::vector<ZoneSet> layers;           // in config order
  std::vector<size_t> offset;            // first combined zone index of each layer
  CoverageIndex index;
  double prepare_seconds = 0;
};

PreparedZones prepare_zones(const RunConfig& config, const RasterInfo& raster, const std::string& cache_dir,
                            const std::optional<ZoneSource>& extra) {
  PreparedZones p;
  p.grid = raster.grid;
  const auto t0 = Clock::now();
  std::vector<ZoneSource> sources;
  for (const auto& z : config.zones) sources.push_back({z.path, z.layer, z.id_field, z.fields, z.assume_crs, z.datum});
  if (extra) sources.push_back(*extra);
  PreparedIndex prepared = prepare_zones_cached(sources, raster, config.coverage, CoverageCache{cache_dir, cluster::is_writer()});
  size_t offset = 0;
  for (auto& layer : prepared.layers) {
    p.offset.push_back(offset);
    offset += layer.size();
    p.layers.push_back(std::move(layer));
  }
  p.index = std::move(prepared.index);
  p.prepare_seconds = seconds_since(t0);
  return p;
}

std::string stamp_json(const std::string& role, const FileStamp& s) {
  std::ostringstream o;
  o << "{\"role\": " << json_string(role) << ", \"path\": " << json_string(fs::absolute(s.path).string())
    << ", \"size\": " << s.size << ", \"mtime_ns\": " << s.mtime_ns << ", \"sha256\": " << json_string(s.sha256) << "}";
  return o.str();
}

bool same_inputs(const std::vector<FileStamp>& a, const std::vector<FileStamp>& b, bool by_hash) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].path != b[i].path) return false;
    if (by_hash ? a[i].sha256 != b[i].sha256 : !a[i].same_size_and_time(b[i])) return false;
  }
  return true;
}

// Every input of a release: its tiles (a changed tile set redoes it), or its raster and quality.
std::vector<FileStamp> release_stamps(const ReleaseFile& r, bool hash) {
  if (!r.tiles.empty()) {
    std::vector<FileStamp> s;
    for (const auto& t : r.tiles) s.push_back(stamp_file(t.path, hash));
    return s;
  }
  std::vector<FileStamp> s{stamp_file(r.path, hash)};
  if (!r.quality_path.empty()) s.push_back(stamp_file(r.quality_path, hash));
  return s;
}

// Everything besides the release files that shapes the tables; a change redoes every release.
std::string settings_text(const RunConfig& c) {
  std::ostringstream t;
  t.precision(17);
  t << "band " << c.releases.band << " units " << c.releases.units << " assume_crs " << c.releases.assume_crs << "\n";
  if (c.releases.quality)
    t << "quality " << c.releases.quality->template_name << "|" << c.releases.quality->replace_from << "|"
      << c.releases.quality->replace_to << "|" << c.releases.quality->min_count << "\n";
  if (const auto& b = c.releases.black_marble; b.enabled) {
    t << "black-marble " << b.layer << "|" << b.quality << "|" << b.quality_layer << "|" << b.collection << "|"
      << b.fail_on_missing << "|keep";
    for (int k : b.keep) t << " " << k;
    t << "\n";
  }
  const auto& p = c.preprocess;
  t << "preprocess " << (c.nodata_override ? format_number(*p.nodata) : "band") << " " << p.scale << " " << p.offset
    << " " << static_cast<int>(p.negatives) << " " << (p.floor ? format_number(*p.floor) : "-") << " "
    << (p.cap ? format_number(*p.cap) : "-") << "\n";
  for (const auto& z : c.zones) {
    t << "zones " << z.name << "|" << z.path << "|" << z.layer << "|" << z.id_field << "|" << datum_name(z.datum) << "|"
      << z.assume_crs;
    for (const auto& f : z.fields) t << "|" << f;
    t << "\n";
  }
  for (const auto& l : c.levels) {
    t << "level " << l.name << "|" << l.zones << "|" << l.from << "|" << l.key_field << "|" << l.prefix << "|"
      << l.suffix << "|" << l.unmatched;
    for (const auto& [k, v] : l.lookup) t << "|" << k << "=" << v;
    t << "\n";
  }
  if (!c.population.table.empty()) {
    t << "population " << c.population.level;
    for (const auto& [code, value] : c.population.by_code) t << "|" << code << "=" << value;
    t << "\n";
  }
  t << "stats";
  for (Statistic s : c.stats) t << " " << statistic_name(s);
  t << "\ncoverage " << coverage_mode_name(c.coverage) << " lit " << c.lit_threshold << " min_valid "
    << c.min_valid_fraction << "\ngaps " << c.gaps.level << "|" << c.gaps.region_level << "|" << c.gaps.reference
    << "|" << c.gaps.west;
  for (const auto& g : c.gaps.groups) t << "|" << g;
  t << "\nbom " << c.output.bom << "\n";
  if (c.hu_line.enabled) {
    t << "hu_line " << c.hu_line.shape << "|" << c.hu_line.country_path << "|" << c.hu_line.country_layer << "|"
      << datum_name(c.hu_line.country_datum) << "|" << c.hu_line.level << "\n"
      << read_whole_file(c.hu_line.definition).value_or("") << "\n";
  }
  if (c.inequality.enabled) {
    t << "inequality";
    for (const auto& l : c.inequality.levels) t << " " << l;
    for (const auto& g : c.inequality.groupings) t << " " << g;
    t << "\n";
  }
  return t.str();
}

// Leftovers of a run killed with SIGKILL: staging folders never renamed into place.
void remove_stale_staging(const std::string& releases_dir) {
  for (const auto& e : fs::directory_iterator(releases_dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind('.', 0) == 0 && (name.find(".partial-") != std::string::npos || name.find(".old-") != std::string::npos)) {
      std::error_code ec;
      fs::remove_all(e.path(), ec);
    }
  }
}

std::string tile_names(const std::vector<TileId>& tiles) {
  std::string out;
  for (size_t i = 0; i < tiles.size(); ++i) out += (i ? ", " : "") + tiles[i].name();
  return out;
}

std::string tile_list_json(const std::vector<TileId>& tiles) {
  std::string out = "[";
  for (size_t i = 0; i < tiles.size(); ++i) out += (i ? ", " : "") + json_string(tiles[i].name());
  return out + "]";
}

class BatchRun {
 public:
  BatchRun(const BatchOptions& options, RunConfig config) : opt_(options), cfg_(std::move(config)) {
    out_ = cfg_.output.directory;
    manifest_path_ = out_ + "/manifest.yaml";
  }

  int run();

 private:
  void process_release(const ReleaseFile& release, const std::string& why, const std::string& previous_sha);
  void open_tiles(const ReleaseFile& release, BlackMarbleMosaic& mosaic);
  std::optional<std::vector<TileId>> needed_tiles_;  // by the zones, found once per run
  void write_panels();
  void write_convergence();
  void write_geopackages(const std::string& latest);
  void record_failure(const ReleaseFile& release, const std::string& reason);
  std::optional<GoodTables> kept_tables(const std::string& id);
  std::vector<std::string> panel_releases() const;
  std::vector<std::pair<std::string, std::string>> deleted_rasters(const std::vector<ReleaseFile>& found) const;
  std::unique_ptr<OutputLock> lock_output() const;
  int level_index(const std::string& name) const {
    for (size_t l = 0; l < cfg_.levels.size(); ++l)
      if (cfg_.levels[l].name == name) return static_cast<int>(l);
    return -1;
  }

  BatchOptions opt_;
  RunConfig cfg_;
  std::string out_, manifest_path_;
  Manifest manifest_;
  std::unique_ptr<PreparedZones> zones_;
  std::unique_ptr<OutputLock> lock_;  // held from before the manifest is read until the run ends
  std::string settings_;  // fingerprint of settings_text and the zone files' contents
  // The Hu line's two sides as a zone layer, and the side of each unit of its level.
  std::optional<ZoneSource> hu_source_;
  HuLineDefinition hu_definition_;
  std::map<std::string, std::string> hu_side_;
  void prepare_hu_line();
  std::atomic<int64_t> windows_done_{0};
  int64_t sigterm_after_windows_ = -1;
  std::string gap_words_;  // the last processed release's gap table in words, for the summary
#ifdef NIGHTLIGHTS_WITH_CAIRO
  std::unique_ptr<ReleaseMaps> maps_;  // zone geometries for the maps, read at the first release
#endif
  void draw_maps(const std::string& dir, const ReleaseFile& release, const std::vector<LevelUnits>& levels,
                 const std::vector<std::vector<double>>& brightness, double reference);
};

int BatchRun::run() {
  const auto t0 = Clock::now();
  std::vector<ReleaseFile> releases = find_releases(cfg_.releases);
  if (releases.empty())
    throw UserError(cfg_.path + ": no release file matches releases.files and releases.pattern ('" +
                    cfg_.releases.pattern + "')");
  if (!opt_.only.empty()) {
    std::erase_if(releases, [&](const ReleaseFile& r) { return r.id != opt_.only; });
    if (releases.empty()) throw UserError("release '" + opt_.only + "' not found among the release files");
  }
  check_zone_ids(cfg_.zones);
  // A dry run reads only: the manifest is replaced in one rename, so it reads a whole one.
  if (!opt_.dry_run) lock_ = lock_output();
  manifest_ = load_manifest(manifest_path_);
  if (!manifest_.units.empty() && manifest_.units != cfg_.releases.units)
    throw UserError(manifest_path_ + ": the panel holds units '" + manifest_.units + "' but the config says '" +
                    cfg_.releases.units + "'; a panel never mixes units — use another output directory");

  // The settings fingerprint: zone files hashed only when their size or mtime moved.
  {
    std::string text = settings_text(cfg_);
    std::vector<FileStamp> zone_stamps;
    for (const auto& z : cfg_.zones) {
      if (!fs::exists(z.path)) continue;
      FileStamp now = stamp_file(z.path, false);
      for (const auto& old : manifest_.zone_inputs)
        if (!opt_.verify && old.path == now.path && old.same_size_and_time(now)) now.sha256 = old.sha256;
      if (now.sha256.empty()) now.sha256 = sha256_file(now.path);
      text += "zone content " + now.path + " " + now.sha256 + "\n";
      zone_stamps.push_back(now);
    }
    settings_ = sha256_text(text);
    manifest_.zone_inputs = zone_stamps;
  }

  struct Plan {
    ReleaseFile release;
    std::string action;  // new, changed, retry, forced, unchanged
    std::string previous_sha;
  };
  std::vector<Plan> plan;
  for (const auto& r : releases) {
    Plan p{r, "new", ""};
    const auto it = manifest_.releases.find(r.id);
    if (opt_.force) {
      p.action = "forced";
    } else if (it != manifest_.releases.end()) {
      if (it->second.state != "done") {
        p.action = "retry";
      } else if (it->second.settings != settings_) {
        p.action = "settings-changed";
      } else if (!fs::exists(out_ + "/releases/" + r.id)) {
        p.action = "tables-missing";
      } else {
        std::vector<FileStamp> now;
        try {
          now = release_stamps(r, false);
        } catch (const UserError&) {
          now.clear();  // a missing quality raster: process to record the failure
        }
        // --verify: a file replaced by one of the same size and mtime is found by its hash.
        if (!now.empty() && !opt_.verify && same_inputs(now, it->second.inputs, false)) {
          p.action = "unchanged";
        } else {
          bool same_content = false;
          if (!now.empty()) {
            for (auto& s : now) s.sha256 = sha256_file(s.path);
            same_content = same_inputs(now, it->second.inputs, true);
          }
          if (same_content) {
            p.action = "unchanged";
            it->second.inputs = now;  // touched, not changed: remember the new mtime
          } else {
            p.action = "changed";
            p.previous_sha = it->second.inputs.empty() ? "" : it->second.inputs[0].sha256;
          }
        }
      }
    }
    plan.push_back(p);
  }
  if (std::any_of(plan.begin(), plan.end(), [](const Plan& p) { return p.action == "settings-changed"; }))
    log_info("the configuration or the zones changed since some tables were made: those releases are redone");

  const auto deleted = deleted_rasters(releases);
  if (opt_.dry_run) {
    std::printf("release\taction\traster\tquality\n");
    for (const auto& p : plan) {
      std::string q = p.release.quality_path.empty() ? "-" : p.release.quality_path;
      if (!p.release.quality_path.empty() && !fs::exists(p.release.quality_path)) q += " (MISSING)";
      std::string raster = p.release.path;
      if (!p.release.tiles.empty()) {
        raster = std::to_string(p.release.tiles.size()) + " tile(s):";
        for (const auto& t : p.release.tiles) raster += " " + t.tile.name();
      }
      std::printf("%s\t%s\t%s\t%s\n", p.release.id.c_str(), p.action.c_str(), raster.c_str(), q.c_str());
    }
    for (const auto& [id, path] : deleted)
      std::printf("%s\tmissing\t%s (DELETED; tables kept)\t-\n", id.c_str(), path.c_str());
    if (const std::string who = OutputLock::holder(out_); !who.empty())
      log_info("note: a run holds the lock on " + out_ + " (" + who + "); this list may change when it ends");
    for (const auto& z : cfg_.zones)
      if (z.path.find(':') == std::string::npos && !fs::exists(z.path))
        throw UserError(z.path + ": zone file of layer '" + z.name + "' not found");
    size_t todo = 0;
    for (const auto& p : plan) todo += p.action != "unchanged";
    log_info("dry run: " + std::to_string(plan.size()) + " release(s), " + std::to_string(todo) +
             " would be processed" +
             (deleted.empty() ? "" : ", " + std::to_string(deleted.size()) + " missing (raster deleted)") +
             "; nothing written");
    return 0;
  }

  if (cluster::is_writer()) make_directories(out_ + "/releases");
  if (cfg_.hu_line.enabled &&
      std::any_of(plan.begin(), plan.end(), [](const Plan& p) { return p.action != "unchanged"; }))
    prepare_hu_line();
  // Remembered mtimes of touched files and zone hashes, so the next run need not hash again.
  if (cluster::is_writer()) save_manifest(manifest_path_, manifest_);
  if (cluster::is_writer()) remove_stale_staging(out_ + "/releases");
  // Temporaries of jobs killed mid-write (or stopped by a full disk): those of dead processes on
  // this host, and day-old ones of other hosts; a live job's are never touched.
  if (cluster::is_writer()) remove_stale_temporaries(out_, true);
  if (const char* n = std::getenv("NIGHTLIGHTS_TEST_SIGTERM_AFTER_WINDOWS")) sigterm_after_windows_ = std::atoll(n);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  size_t processed = 0, skipped = 0, index = 0;
  std::vector<std::string> failures;
  for (const auto& p : plan) {
    ++index;
    check_interrupt();
    if (p.action == "unchanged") {
      ++skipped;
      continue;
    }
    const auto t = Clock::now();
    try {
      process_release(p.release, p.action, p.previous_sha);
      ++processed;
      log_info("release " + p.release.id + " (" + std::to_string(index) + "/" + std::to_string(plan.size()) +
               ", " + p.action + "): done in " + format_number(std::round(seconds_since(t) * 100) / 100) + " s");
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      failures.push_back(p.release.id);
      record_failure(p.release, e.what());
    }
  }
  check_interrupt();
  write_panels();
  if (cfg_.convergence.enabled) write_convergence();
#ifdef NIGHTLIGHTS_WITH_CAIRO
  if (cfg_.output.maps && cluster::is_writer() && fs::exists(out_ + "/panel")) draw_panel_charts(out_, cfg_);
#endif
  const auto done = panel_releases();
  if (!done.empty() && !cfg_.output.geopackage_levels.empty()) write_geopackages(done.back());
  std::string summary = "run finished in " + format_number(std::round(seconds_since(t0) * 100) / 100) + " s: " +
                        std::to_string(processed) + " release(s) processed, " + std::to_string(skipped) +
                        " unchanged, " + std::to_string(failures.size()) + " failed";
  if (!failures.empty()) {
    summary += " (";
    for (size_t i = 0; i < failures.size(); ++i) summary += (i ? ", " : "") + failures[i];
    summary += ")";
  }
  if (!deleted.empty()) {
    summary += ", " + std::to_string(deleted.size()) + " missing (";
    for (size_t i = 0; i < deleted.size(); ++i) summary += (i ? ", " : "") + deleted[i].first;
    summary += ": raster deleted, tables kept)";
  }
  log_info(summary + "; tables in " + out_);
  if (!gap_words_.empty()) log_info(gap_words_);
  if (!failures.empty() && cluster::is_writer()) std::fprintf(stderr, "nightlights: error: %zu release(s) failed; see %s\n", failures.size(), manifest_path_.c_str());
  return failures.empty() ? 0 : 1;
}

void BatchRun::process_release(const ReleaseFile& release, const std::string& why, const std::string& previous_sha) {
  const auto t0 = Clock::now();
  const std::vector<FileStamp> stamps = [&] {
    if (!release.quality_path.empty() && !fs::exists(release.quality_path))
      throw UserError(release.quality_path + ": quality raster of release " + release.id + " not found");
    return release_stamps(release, true);
  }();
  BlackMarbleMosaic mosaic;
  if (!release.tiles.empty()) open_tiles(release, mosaic);
  RasterInfo raster = release.tiles.empty() ? inspect_raster(release.path, cfg_.releases.band, cfg_.releases.assume_crs)
                                            : inspect_raster(mosaic.radiance_vrt, 1, "");
  if (manifest_.has_grid) {
    const double* g = manifest_.grid_values;
    const GridGeometry panel{g[0], g[1], g[2], g[3], static_cast<int64_t>(g[4]), static_cast<int64_t>(g[5])};
    if (!panel.same_grid(raster.grid))
      throw UserError(release.path + ": grid " + raster.grid.describe() + " differs from the panel's (" +
                      panel.describe() + "); a panel never mixes grids — resample it, or use another output directory");
  }
  std::optional<QualityMask> quality;
  if (!release.quality_path.empty()) {
    RasterInfo q = inspect_raster(release.quality_path, 1, cfg_.releases.assume_crs);
    if (!q.grid.same_grid(raster.grid))
      throw UserError(release.quality_path + ": quality raster grid " + q.grid.describe() +
                      " differs from its release's (" + raster.grid.describe() + ")");
    quality = QualityMask{q, cfg_.releases.quality->min_count};
  }
  if (!mosaic.quality_vrt.empty()) quality = QualityMask{inspect_raster(mosaic.quality_vrt, 1, ""), 1};
  if (!zones_ || !zones_->grid.same_grid(raster.grid))
    zones_ = std::make_unique<PreparedZones>(prepare_zones(cfg_, raster, opt_.cache_dir, hu_source_));
  const auto t_zonal = Clock::now();
  ZonalOptions zo;
  zo.threads = opt_.threads ? opt_.threads : cfg_.threads;
  zo.lit_threshold = cfg_.lit_threshold;
  zo.needs = accumulator_needs(cfg_.stats);
  zo.preprocess = cfg_.preprocess;
  zo.preprocess.nodata = cfg_.nodata_override ? nodata_in_raster_type(raster, *cfg_.preprocess.nodata) : raster.nodata;
  if (cfg_.preprocess.scale == 1.0 && cfg_.preprocess.offset == 0.0) {
    zo.preprocess.scale = raster.scale;
    zo.preprocess.offset = raster.offset;
  }
  zo.quality = quality;
  zo.progress = false;
  zo.after_window = [this] {
    const int64_t n = ++windows_done_;
    if (sigterm_after_windows_ >= 0 && n == sigterm_after_windows_) std::raise(SIGTERM);
    check_interrupt();
  };
  const ZonalResult result = run_zonal(raster, zones_->index, raster_cell_areas(raster), zo);
  const double zonal_seconds = seconds_since(t_zonal);

  // Levels: own layers take their slice of the combined zones; the rest merge finer levels.
  std::vector<LevelUnits> levels(cfg_.levels.size());
  for (size_t l = 0; l < cfg_.levels.size(); ++l) {
    const LevelConfig& lc = cfg_.levels[l];
    levels[l].name = lc.name;
    if (lc.zones.empty()) continue;
    size_t layer = 0;
    while (cfg_.zones[layer].name != lc.zones) ++layer;
    const ZoneSet& zs = zones_->layers[layer];
    levels[l].codes = zs.ids;
    levels[l].field_names = zs.field_names;
    levels[l].fields = zs.fields;
    levels[l].acc.assign(result.zones.begin() + zones_->offset[layer],
                         result.zones.begin() + zones_->offset[layer] + zs.size());
  }
  derive_level_membership(cfg_.levels, levels);
  merge_level_accumulators(levels);
  // Population per unit of every level made of the table's level (empty for the others).
  std::vector<std::vector<double>> population_of_level(levels.size());
  if (!cfg_.population.table.empty())
    for (size_t l = 0; l < levels.size(); ++l)
      population_of_level[l] = level_population(levels, level_index(cfg_.population.level), static_cast<int>(l),
                                                cfg_.population.by_code);
  auto population_of = [&](int l) { return population_of_level[l].empty() ? nullptr : &population_of_level[l]; };

  // Each unit's region (for the tables and regressions): the region of most of its area.
  std::vector<std::vector<std::string>> region_of_level(levels.size());
  std::vector<std::string> region_of_base;
  const int region_base = cfg_.gaps.region_level.empty() ? -1 : level_index(cfg_.gaps.level);
  if (region_base >= 0) {
    const int region_level = level_index(cfg_.gaps.region_level);
    const auto map = map_units(levels, region_base, region_level);
    for (size_t u = 0; u < map.size(); ++u) region_of_base.push_back(levels[region_level].codes[map[u]]);
    for (size_t l = 0; l < levels.size(); ++l) {
      try {
        region_of_level[l] = majority_groups(levels, region_base, static_cast<int>(l), region_of_base);
      } catch (const UserError&) {
        // a level of its own layer, not made of the base units: no region column
      }
    }
  }

  double reference = 0;
  std::string gaps_text, words;
  if (!cfg_.gaps.region_level.empty()) {
    const int base = level_index(cfg_.gaps.level), region = level_index(cfg_.gaps.region_level);
    const auto unit_map = map_units(levels, base, region);
    std::vector<std::string> group(unit_map.size());
    for (size_t u = 0; u < unit_map.size(); ++u) group[u] = levels[region].codes[unit_map[u]];
    const GapTable gaps = gap_table(cfg_.gaps, levels[base], group, cfg_.min_valid_fraction, population_of(base));
    reference = gaps.reference_brightness;
    gaps_text = gaps_csv(release.id, gaps, cfg_.gaps, population_of(base) != nullptr);
    words = "release " + release.id + " in words (rounded; gaps.csv holds the full values):";
    for (const auto& sentence : gap_sentences(gaps, cfg_.gaps, cfg_.min_valid_fraction)) words += "\n  " + sentence;
  }

  std::string hu_text, inequality_text;
  std::vector<std::string> hu_of_base;
  if (hu_source_) {
    const int hu_level = level_index(cfg_.hu_line.level);
    const size_t first = zones_->offset.back();
    int64_t units[2] = {0, 0};
    for (const auto& code : levels[hu_level].codes) {
      const auto it = hu_side_.find(code);
      hu_of_base.push_back(it == hu_side_.end() ? "west" : it->second);
      ++units[hu_of_base.back() == "east" ? 0 : 1];
    }
    hu_text = hu_line_csv(release.id, hu_definition_.shape, result.zones[first], result.zones[first + 1], units[0],
                          units[1]);
  }
  if (cfg_.inequality.enabled) {
    inequality_text = inequality_csv_header();
    std::set<std::string> compared(cfg_.gaps.groups.begin(), cfg_.gaps.groups.end());
    for (const auto& name : cfg_.inequality.levels) {
      const int l = level_index(name);
      // Units outside the compared regions (Taiwan, Hong Kong, Macau) stay out of every grouping.
      const std::vector<std::string>& region_groups = region_of_level[l];
      for (const auto& grouping : cfg_.inequality.groupings) {
        std::vector<std::string> groups = region_groups;
        std::set<std::string> grouping_compared = compared;
        if (grouping != "region") {
          groups = majority_groups(levels, level_index(cfg_.hu_line.level), l, hu_of_base);
          if (!region_groups.empty())
            for (size_t u = 0; u < groups.size(); ++u)
              if (!compared.count(region_groups[u])) groups[u] = "outside";
          grouping_compared = {"east", "west"};
        }
        // Per land area always; per person as well when the level has populations.
        inequality_text +=
            inequality_rows(release.id, levels[l], grouping, groups, grouping_compared, cfg_.min_valid_fraction);
        if (const auto* population = population_of(l))
          inequality_text += inequality_rows(release.id, levels[l], grouping, groups, grouping_compared,
                                             cfg_.min_valid_fraction, population);
      }
    }
  }
  check_interrupt();

  if (!cluster::is_writer()) return;  // rank 0 alone writes
  // Stage the release's folder, then swap it into place: its tables are all new or all old.
  const std::string final_dir = out_ + "/releases/" + release.id;
  const std::string stage = out_ + "/releases/." + release.id + ".partial-" + std::to_string(getpid());
  fs::remove_all(stage);
  make_directories(stage);
  struct StageGuard {
    std::string dir;
    bool keep = false;
    ~StageGuard() {
      std::error_code ec;
      if (!keep) fs::remove_all(dir, ec);
    }
  } guard{stage};
  const std::string bom = cfg_.output.bom ? "\xEF\xBB\xBF" : "";
  std::vector<std::vector<double>> brightness_of_level;
  for (size_t l = 0; l < levels.size(); ++l) {
    const auto& brightness = brightness_of_level.emplace_back(
        gap_brightness(levels, level_index(cfg_.gaps.level), static_cast<int>(l), cfg_.min_valid_fraction));
    write_file_atomically(stage + "/" + levels[l].name + ".csv",
                          bom + level_csv(release.id, levels[l], cfg_.stats, cfg_.min_valid_fraction, reference,
                                          region_of_level[l], &brightness));
  }
  if (!gaps_text.empty()) write_file_atomically(stage + "/gaps.csv", bom + gaps_text);
  if (!hu_text.empty()) write_file_atomically(stage + "/hu_line.csv", bom + hu_text);
  if (!inequality_text.empty()) write_file_atomically(stage + "/inequality.csv", bom + inequality_text);
  const auto t_maps = Clock::now();
  draw_maps(stage + "/maps", release, levels, brightness_of_level, reference);
  const double maps_seconds = seconds_since(t_maps);

  std::ostringstream prov;
  prov << "{\n  \"tool\": \"nightlights\",\n  \"version\": " << json_string(NIGHTLIGHTS_VERSION)
       << ",\n  \"git_describe\": " << json_string(git_describe()) << ",\n  \"release\": "
       << json_string(release.id) << ",\n  \"action\": " << json_string(why);
  if (!previous_sha.empty()) prov << ",\n  \"reprocessed_previous_sha256\": " << json_string(previous_sha);
  prov << ",\n  \"finished\": " << json_string(utc_now()) << ",\n  \"config_path\": "
       << json_string(fs::absolute(cfg_.path).string()) << ",\n  \"config\": " << json_string(cfg_.text)
       << ",\n  \"units\": " << json_string(cfg_.releases.units) << ",\n  \"grid\": "
       << json_string(raster.grid.describe()) << ",\n  \"coverage\": " << json_string(coverage_mode_name(cfg_.coverage))
       << ",\n  \"inputs\": [\n    ";
  if (!release.tiles.empty()) {
    for (size_t i = 0; i < stamps.size(); ++i)
      prov << (i ? ",\n    " : "") << stamp_json(std::string("tile ").append(release.tiles[i].tile.name()), stamps[i]);
  } else {
    prov << stamp_json("raster", stamps[0]);
    if (stamps.size() > 1) prov << ",\n    " << stamp_json("quality", stamps[1]);
  }
  // The zone files' hashes were taken once per run, for the settings fingerprint.
  for (const auto& z : manifest_.zone_inputs) prov << ",\n    " << stamp_json("zones", z);
  prov << "\n  ],\n  \"zones_repaired\": [";
  for (size_t i = 0; i < zones_->layers.size(); ++i) prov << (i ? ", " : "") << zones_->layers[i].repaired;
  prov << "],\n  \"timings_s\": {\"zones_prepared\": " << zones_->prepare_seconds << ", \"zonal\": " << zonal_seconds << ", \"maps\": " << maps_seconds << ", \"total\": " << seconds_since(t0)
       << "},\n  \"cells_read\": " << result.cells_read << ",\n  \"negative_cells\": " << result.negative_cells;
  if (!release.tiles.empty())
    prov << ",\n  \"tiles_needed\": " << mosaic.needed << ",\n  \"tiles_missing\": " << tile_list_json(mosaic.missing);
  prov << "\n}\n";
  write_file_atomically(stage + "/provenance.json", prov.str());
  check_interrupt();

  const std::string old = out_ + "/releases/." + release.id + ".old-" + std::to_string(getpid());
  if (fs::exists(final_dir)) fs::rename(final_dir, old);
  fs::rename(stage, final_dir);
  guard.keep = true;
  std::error_code ec;
  fs::remove_all(old, ec);

  if (!manifest_.has_grid) {
    const GridGeometry& g = raster.grid;
    const double v[6] = {g.origin_x, g.origin_y, g.cell_width, g.cell_height, static_cast<double>(g.width),
                         static_cast<double>(g.height)};
    std::copy(v, v + 6, manifest_.grid_values);
    manifest_.grid = g.describe();
    manifest_.has_grid = true;
  }
  manifest_.units = cfg_.releases.units;
  manifest_.releases[release.id] = {"done", "", utc_now(), stamps, settings_, std::nullopt, {}};
  for (const TileId& t : mosaic.missing) manifest_.releases[release.id].missing_tiles.push_back(t.name());
  if (!mosaic.missing.empty())
    log_warning("release " + release.id + ": " + std::to_string(mosaic.missing.size()) + " of " +
                std::to_string(mosaic.needed) + " tiles missing (" + tile_names(mosaic.missing) +
                "); their cells count as no data");
  gap_words_ = words;  // only a release whose tables are in place is told about
  if (cluster::is_writer()) save_manifest(manifest_path_, manifest_);
}

// A tiled release as one mosaic on the lattice of the tiles the zones need.
void BatchRun::open_tiles(const ReleaseFile& release, BlackMarbleMosaic& mosaic) {
  if (!needed_tiles_) {
    std::vector<ZoneExtentSource> sources;
    for (const auto& z : cfg_.zones)
      sources.push_back({z.path, z.layer, z.assume_crs, z.datum == Datum::gcj02 ? 0.01 : 0.0});
    needed_tiles_ = tiles_needed_by_zones(sources);
  }
  build_black_marble_mosaic(release.tiles, *needed_tiles_, cfg_.releases.black_marble, release.id, mosaic);
  if (!mosaic.missing.empty() && cfg_.releases.black_marble.fail_on_missing)
    throw UserError("release " + release.id + ": " + std::to_string(mosaic.missing.size()) + " of " +
                    std::to_string(mosaic.needed) + " tiles missing (" + tile_names(mosaic.missing) +
                    ") and releases.missing_tiles is 'fail'");
}

// Maps are pictures of the tables just computed: drawn from the accumulators in memory.
void BatchRun::draw_maps(const std::string& dir, const ReleaseFile& release, const std::vector<LevelUnits>& levels,
                         const std::vector<std::vector<double>>& brightness, double reference) {
#ifdef NIGHTLIGHTS_WITH_CAIRO
  if (!cfg_.output.maps) return;
  const auto t0 = Clock::now();
  if (!maps_) maps_ = std::make_unique<ReleaseMaps>(cfg_);
  ReleaseMapInputs in;
  in.release = release.id;
  in.product = fs::path(release.path).filename().string();
  in.units = cfg_.releases.units;
  in.min_valid_fraction = cfg_.min_valid_fraction;
  in.reference_brightness = reference;
  in.reference_name = cfg_.gaps.reference;
  in.levels = &levels;
  in.gap_brightness = &brightness;
  // The line between its two towns; the extension past them only closes the side polygons.
  if (hu_source_)
    for (const auto& [lon, lat] : hu_line_vertices(hu_definition_))
      if (lat >= hu_definition_.sw_lat - 1e-9 && lat <= hu_definition_.ne_lat + 1e-9) in.hu_line_lonlat.emplace_back(lon, lat);
  maps_->draw(dir, in);
  log_info("release " + release.id + ": maps drawn in " + format_number(std::round(seconds_since(t0) * 100) / 100) + " s");
#else
  (void)dir, (void)release, (void)levels, (void)brightness, (void)reference;
#endif
}

void BatchRun::prepare_hu_line() {
  const auto t0 = Clock::now();
  hu_definition_ = load_hu_line_definition(cfg_.hu_line.definition);
  if (!cfg_.hu_line.shape.empty()) hu_definition_.shape = cfg_.hu_line.shape;
  const std::string path = out_ + "/hu_line_zones.gpkg";
  const std::string fresh = out_ + "/.hu_line_zones.new.gpkg";
  if (cluster::is_writer())
    write_hu_line_zones(hu_definition_,
                        CountrySource{cfg_.hu_line.country_path, cfg_.hu_line.country_layer,
                                      cfg_.hu_line.country_assume_crs, cfg_.hu_line.country_datum},
                        fresh);
  // Same bytes: keep the old file, so its mtime (and the coverage cache keyed on it) stays.
  if (cluster::is_writer()) {
    const auto old = read_whole_file(path);
    if (old && *old == read_whole_file(fresh)) fs::remove(fresh);
    else fs::rename(fresh, path);
  }
  cluster::barrier();  // the other ranks read the zones rank 0 wrote
  hu_source_ = ZoneSource{path, "hu_line", "side", {}, "", Datum::wgs84};
  const int level = level_index(cfg_.hu_line.level);
  const LevelConfig& lc = cfg_.levels[level];
  const ZoneLayerConfig& z = *std::find_if(cfg_.zones.begin(), cfg_.zones.end(), [&](const auto& zc) { return zc.name == lc.zones; });
  hu_side_ = hu_line_sides_of_zones(hu_definition_, z.path, z.layer, z.id_field, z.datum);
  log_info("Hu line (" + hu_definition_.shape + ") zones and the side of " + std::to_string(hu_side_.size()) + " " +
           lc.name + " units ready in " + format_number(std::round(seconds_since(t0) * 100) / 100) + " s");
}

// Rank 0 takes the lock; the others learn whether it could, so that none waits in a collective.
std::unique_ptr<OutputLock> BatchRun::lock_output() const {
  std::unique_ptr<OutputLock> lock;
  std::string error;
  if (cluster::is_writer()) {
    try {
      lock = std::make_unique<OutputLock>(out_, !opt_.no_wait);
    } catch (const UserError& e) {
      error = e.what();
    }
  }
  if (cluster::sum_over_ranks(error.empty() ? 0 : 1) > 0)
    throw UserError(error.empty() ? out_ + ": rank 0 could not lock the output folder" : error);
  return lock;
}

// A failed release keeps the tables of its last good run (in releases/<id> and the panel) when
// they were made with the current settings; tables of other settings are removed, since a
// panel never mixes them.
std::optional<GoodTables> BatchRun::kept_tables(const std::string& id) {
  const auto it = manifest_.releases.find(id);
  if (it == manifest_.releases.end()) return std::nullopt;
  const ReleaseRecord& old = it->second;
  std::optional<GoodTables> good = old.state == "done" ? GoodTables{old.finished, old.inputs, old.settings} : old.last_good;
  const std::string dir = out_ + "/releases/" + id;
  if (!good || !fs::exists(dir)) return std::nullopt;
  if (good->settings == settings_) return good;
  std::error_code ec;
  if (cluster::is_writer()) fs::remove_all(dir, ec);
  return std::nullopt;
}

void BatchRun::record_failure(const ReleaseFile& release, const std::string& reason) {
  ReleaseRecord rec;
  rec.state = "failed";
  rec.reason = reason;
  rec.finished = utc_now();
  try {
    rec.inputs = release_stamps(release, false);
  } catch (const UserError&) {
  }
  rec.last_good = kept_tables(release.id);
  manifest_.releases[release.id] = rec;
  if (cluster::is_writer()) save_manifest(manifest_path_, manifest_);
  log_warning("release " + release.id + " failed: " + reason +
              (rec.last_good ? " (its last good tables, of " + rec.last_good->finished + ", stay in the panel)" : ""));
}

// Releases whose tables the panel holds: done, or failed with their last good tables kept.
std::vector<std::string> BatchRun::panel_releases() const {
  std::vector<std::string> ids;
  for (const auto& [id, r] : manifest_.releases)
    if ((r.state == "done" || (r.state == "failed" && r.last_good)) && fs::exists(out_ + "/releases/" + id))
      ids.push_back(id);
  return ids;
}

// Releases with tables whose raster is gone from the disk (not merely outside --releases or
// --only): reported, never redone, their tables kept.
std::vector<std::pair<std::string, std::string>> BatchRun::deleted_rasters(const std::vector<ReleaseFile>& found) const {
  std::set<std::string> found_ids;
  for (const auto& r : found) found_ids.insert(r.id);
  std::vector<std::pair<std::string, std::string>> ids;  // id, its raster's recorded path
  for (const auto& id : panel_releases()) {
    const ReleaseRecord& r = manifest_.releases.at(id);
    const auto& inputs = r.state == "done" ? r.inputs : r.last_good->inputs;
    if (found_ids.count(id) || inputs.empty() || (!opt_.only.empty() && id != opt_.only)) continue;
    std::error_code ec;
    if (!fs::exists(inputs.front().path, ec)) ids.emplace_back(id, inputs.front().path);
  }
  return ids;
}

void BatchRun::write_panels() {
  if (!cluster::is_writer()) return;
  const auto ids = panel_releases();
  if (ids.empty()) {
    // No release has tables: an old panel would list releases the manifest no longer backs.
    std::error_code ec;
    fs::remove_all(out_ + "/panel", ec);
    return;
  }
  make_directories(out_ + "/panel");
  std::vector<std::string> tables;
  for (const auto& l : cfg_.levels) tables.push_back(l.name);
  if (!cfg_.gaps.region_level.empty()) tables.push_back("gaps");
  if (cfg_.hu_line.enabled) tables.push_back("hu_line");
  if (cfg_.inequality.enabled) tables.push_back("inequality");
  for (const auto& t : tables) {
    std::string panel;
    for (const auto& id : ids) {
      std::ifstream in(out_ + "/releases/" + id + "/" + t + ".csv", std::ios::binary);
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
    write_file_atomically(out_ + "/panel/" + t + ".csv", panel);
  }
}

void BatchRun::write_convergence() {
  if (!cluster::is_writer()) return;
  const auto ids = panel_releases();
  if (ids.empty()) return;
  std::string all = convergence_csv_header();
  const GdpTable* gdp = cfg_.convergence.gdp_path.empty() ? nullptr : &cfg_.convergence.gdp;
  for (const auto& level : cfg_.convergence.levels) {
    std::vector<std::string> tables;
    for (const auto& id : ids)
      tables.push_back(read_whole_file(out_ + "/releases/" + id + "/" + level + ".csv").value_or(""));
    const ConvergenceTables t =
        convergence_tables(level, ids, tables, cfg_.convergence.region_dummies, gdp);
    all += t.convergence_csv;
    for (const auto& [name, table] : t.growth_csv) write_file_atomically(out_ + "/panel/growth_" + name + ".csv", table);
  }
  write_file_atomically(out_ + "/panel/convergence.csv", all);
}

void BatchRun::write_geopackages(const std::string& latest) {
  if (!cluster::is_writer()) return;
  // Units and geometries straight from the zone layers (datum-corrected), levels rebuilt from
  // their codes and fields exactly as the release tables were.
  std::vector<LevelUnits> levels(cfg_.levels.size());
  std::map<std::string, std::vector<std::unique_ptr<OGRGeometry>>> geometries;  // by zone layer
  std::map<std::string, std::unique_ptr<OGRSpatialReference>> srs;
  for (size_t l = 0; l < cfg_.levels.size(); ++l) {
    const LevelConfig& lc = cfg_.levels[l];
    levels[l].name = lc.name;
    if (lc.zones.empty()) continue;
    const ZoneLayerConfig& z = *std::find_if(cfg_.zones.begin(), cfg_.zones.end(),
                                             [&](const auto& zc) { return zc.name == lc.zones; });
    std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset*>(
        GDALOpenEx(z.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
    if (!ds) throw UserError(z.path + ": cannot open as a vector layer");
    OGRLayer* layer = z.layer.empty() ? ds->GetLayer(0) : ds->GetLayerByName(z.layer.c_str());
    if (!layer) throw UserError(z.path + ": no layer '" + z.layer + "'");
    auto& geoms = geometries[lc.zones];
    geoms.clear();
    levels[l].field_names = z.fields;
    for (auto& feature : *layer) {
      levels[l].codes.emplace_back(feature->GetFieldAsString(z.id_field.c_str()));
      std::vector<std::string> fields;
      for (const auto& f : z.fields) fields.emplace_back(feature->GetFieldAsString(f.c_str()));
      levels[l].fields.push_back(std::move(fields));
      OGRGeometry* g = feature->GetGeometryRef();
      std::unique_ptr<OGRGeometry> copy(g ? (g->hasCurveGeometry() ? g->getLinearGeometry() : g->clone()) : nullptr);
      if (copy && z.datum == Datum::gcj02) gcj02_to_wgs84_in_place(copy.get());
      if (copy && !copy->IsValid()) copy.reset(copy->MakeValid());
      geoms.push_back(std::move(copy));
    }
    if (const OGRSpatialReference* s = layer->GetSpatialRef()) srs[lc.zones].reset(s->Clone());
  }
  derive_level_membership(cfg_.levels, levels);
  for (const auto& name : cfg_.output.geopackage_levels) {
    const int target = level_index(name);
    int own = target;
    while (levels[own].from >= 0) own = levels[own].from;
    auto& geoms = geometries[cfg_.levels[own].zones];
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
    const std::string table = read_whole_file(out_ + "/releases/" + latest + "/" + name + ".csv").value_or("");
    const auto s = srs.find(cfg_.levels[own].zones);
    write_level_geopackage(out_ + "/" + name + ".gpkg", name, units, s == srs.end() ? nullptr : s->second.get(),
                           table);
    log_info("GeoPackage " + out_ + "/" + name + ".gpkg: " + std::to_string(units.size()) + " units, release " + latest);
  }
}

}  // namespace

int run_batch(const BatchOptions& options) {
  configure_gdal();
  RunConfig config = load_run_config(options.config);
  if (!options.releases_glob.empty()) config.releases.files = {options.releases_glob};
  if (options.threads == 0 && config.threads > 0) omp_set_num_threads(config.threads);
  BatchRun run(options, std::move(config));
  try {
    return run.run();
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "nightlights: stopped by signal %d; finished releases are kept, the next run resumes\n",
                 e.signal);
    return 128 + e.signal;
  }
}

}  // namespace nl
