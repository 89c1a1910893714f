// `nightlights run`: the batch job as stages. plan (release_plan) → for each release to do:
// measure (release_input, zonal_engine) → analyse (analysis/release_analysis) → write and
// commit (release_folder, provenance, manifest) → the run's outputs over all releases
// (panel_outputs, charts). This file strings the stages together and owns the run's state: the
// manifest, the prepared zones, the lock and the stop signals.
#include "pipeline/app/batch_run.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/app/cube_batches.hpp"
#include "pipeline/app/hu_line_zones.hpp"
#include "pipeline/app/level_geopackages.hpp"
#include "pipeline/app/panel_outputs.hpp"
#include "pipeline/app/release_history.hpp"
#include "pipeline/app/release_input.hpp"
#include "pipeline/app/release_plan.hpp"
#include "pipeline/app/release_ranks.hpp"
#include "pipeline/app/settings_fingerprint.hpp"
#include "pipeline/engine/cell_areas.hpp"
#include "pipeline/engine/cluster.hpp"
#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/engine/zonal_engine.hpp"
#include "pipeline/io/black_marble.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/manifest.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/output_lock.hpp"
#include "pipeline/io/provenance.hpp"
#include "pipeline/io/release_folder.hpp"
#include "pipeline/io/releases.hpp"
#include "pipeline/io/temporary_files.hpp"
#include "pipeline/io/zone_checks.hpp"
#ifdef NIGHTLIGHTS_WITH_CAIRO
#include "pipeline/pictures/release_maps.hpp"
#include "pipeline/pictures/run_report.hpp"
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
std::string rounded_seconds(Clock::time_point t) { return format_number(std::round(seconds_since(t) * 100) / 100); }

// NIGHTLIGHTS_TIMING=1: each stage of the run's own work (outside the releases) on stderr, so a
// cost that grows with the history shows which stage it is in.
void stage_done(const char* stage, Clock::time_point& since) {
  log_timing(stage, seconds_since(since));
  since = Clock::now();
}

// Zones of every layer, prepared for one grid (from the coverage cache when valid).
struct PreparedZones {
  GridGeometry grid;
  std::vector<ZoneSet> layers;  // in config order, then the Hu line's sides
  std::vector<size_t> offset;   // first combined zone index of each layer
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
  PreparedIndex prepared =
      prepare_zones_cached(sources, raster, config.coverage, CoverageCache{cache_dir, cluster::is_writer()});
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

// Rank 0 takes the lock; the others learn whether it could, so that none waits in a collective.
std::unique_ptr<OutputLock> lock_output(const std::string& out, bool wait) {
  std::unique_ptr<OutputLock> lock;
  std::string error;
  if (cluster::is_writer()) {
    try {
      lock = std::make_unique<OutputLock>(out, wait);
    } catch (const UserError& e) {
      error = e.what();
    }
  }
  if (cluster::sum_over_ranks(error.empty() ? 0 : 1) > 0)
    throw UserError(error.empty() ? out + ": rank 0 could not lock the output folder" : error);
  return lock;
}

// --dry-run: the plan as a table on stdout; nothing is written.
int print_dry_run(const std::vector<PlannedRelease>& plan, const std::vector<std::pair<std::string, std::string>>& deleted,
                  const std::string& out, const RunConfig& config) {
  std::printf("release\taction\traster\tquality\n");
  for (const auto& p : plan) {
    std::string q = p.release.quality_path.empty() ? "-" : p.release.quality_path;
    if (!p.release.quality_path.empty() && !fs::exists(p.release.quality_path)) q += " (MISSING)";
    std::string raster = p.release.path;
    if (!p.release.tiles.empty()) {
      raster = std::to_string(p.release.tiles.size()) + " tile(s):";
      for (const auto& t : p.release.tiles) raster.append(" ").append(t.tile.name());
    }
    std::printf("%s\t%s\t%s\t%s\n", p.release.id.c_str(), action_name(p.action), raster.c_str(), q.c_str());
  }
  for (const auto& [id, path] : deleted)
    std::printf("%s\tmissing\t%s (DELETED; tables kept)\t-\n", id.c_str(), path.c_str());
  if (const std::string who = OutputLock::holder(out); !who.empty())
    log_info("note: a run holds the lock on " + out + " (" + who + "); this list may change when it ends");
  for (const auto& z : config.zones)
    if (z.path.find(':') == std::string::npos && !fs::exists(z.path))
      throw UserError(z.path + ": zone file of layer '" + z.name + "' not found");
  const auto todo = std::count_if(plan.begin(), plan.end(),
                                  [](const PlannedRelease& p) { return p.action != ReleaseAction::unchanged; });
  log_info("dry run: " + std::to_string(plan.size()) + " release(s), " + std::to_string(todo) +
           " would be processed" +
           (deleted.empty() ? "" : ", " + std::to_string(deleted.size()) + " missing (raster deleted)") +
           "; nothing written");
  return 0;
}

struct RunCounts {
  size_t processed = 0, skipped = 0;
  std::vector<std::string> failures;
};

// The run's closing lines: counts, failures, deleted rasters, and the last gap table in words.
int summarise(const RunCounts& counts, const std::vector<std::pair<std::string, std::string>>& deleted,
              Clock::time_point t0, const std::string& out, const std::string& manifest_path,
              const std::string& gap_words) {
  std::string summary = "run finished in " + rounded_seconds(t0) + " s: " + std::to_string(counts.processed) +
                        " release(s) processed, " + std::to_string(counts.skipped) + " unchanged, " +
                        std::to_string(counts.failures.size()) + " failed";
  if (!counts.failures.empty()) {
    summary += " (";
    for (size_t i = 0; i < counts.failures.size(); ++i) summary += (i ? ", " : "") + counts.failures[i];
    summary += ")";
  }
  if (!deleted.empty()) {
    summary += ", " + std::to_string(deleted.size()) + " missing (";
    for (size_t i = 0; i < deleted.size(); ++i) summary += (i ? ", " : "") + deleted[i].first;
    summary += ": raster deleted, tables kept)";
  }
  log_info(summary + "; tables in " + out);
  if (!gap_words.empty()) log_info(gap_words);
  if (!counts.failures.empty() && cluster::is_writer())
    log_error(std::to_string(counts.failures.size()) + " release(s) failed; see " + manifest_path);
  return counts.failures.empty() ? 0 : 1;
}

// The output folder's manifest, whose panel must hold `units` when it holds any.
Manifest load_manifest_of_units(const std::string& path, const std::string& units) {
  Manifest manifest = load_manifest(path);
  if (!manifest.units.empty() && manifest.units != units)
    throw UserError(path + ": the panel holds units '" + manifest.units + "' but the config says '" + units +
                    "'; a panel never mixes units — use another output directory");
  return manifest;
}

void say_if_settings_changed(const std::vector<PlannedRelease>& plan) {
  if (std::any_of(plan.begin(), plan.end(),
                  [](const PlannedRelease& p) { return p.action == ReleaseAction::settings_changed; }))
    log_info("the configuration or the zones changed since some tables were made: those releases are redone");
}

class BatchRun {
 public:
  BatchRun(const BatchOptions& options, RunConfig config) : opt_(options), cfg_(std::move(config)) {
    out_ = cfg_.output.directory;
    manifest_path_ = out_ + "/manifest.yaml";
  }

  int run();

 private:
  // Planning
  std::vector<ReleaseFile> releases_to_consider() const;
  // The releases, one after another
  // `listing`: OUT/releases as the run listed it (list_release_folder), before any commit.
  void prepare_output(const std::vector<PlannedRelease>& plan, const std::vector<DirectoryEntry>& listing);
  RunCounts process_all(const std::vector<PlannedRelease>& plan);
  Measurement measure(const ReleaseFile& release, bool this_rank_only = false);
  ZonalOptions measure_options(const ReleaseInput& input, bool this_rank_only);
  const CoverageIndex& measure_zones(const RasterInfo& raster);  // the zones on this grid, prepared once
  const std::vector<TileId>& needed_tiles();     // by the zones, found once per run
  ReleaseTables analyse(const std::string& release, const Measurement& m) const;
  void write_and_commit(const PlannedRelease& planned, const Measurement& m, const ReleaseTables& tables,
                        Clock::time_point t0);
  void record_done(const ReleaseFile& release, const Measurement& m);
  void record_failure(const ReleaseFile& release, const std::string& reason);
  double draw_maps(const std::string& dir, const ReleaseFile& release, const ReleaseTables& tables);
  void write_run_outputs();  // the run's outputs over all releases

  BatchOptions opt_;
  RunConfig cfg_;
  std::string out_, manifest_path_;
  Manifest manifest_;
  std::vector<PanelRelease> committed_;  // the releases with tables, as the manifest was read
  std::vector<ReleaseFolderStamp> folders_;  // OUT/releases' folders, kept current by this run's commits
  std::unique_ptr<OutputLock> lock_;  // held from before the manifest is read until the run ends
  std::string settings_;              // settings_fingerprint
  std::unique_ptr<PreparedZones> zones_;
  std::optional<HuLineZones> hu_;
  std::optional<std::vector<TileId>> needed_tiles_;  // by the zones, found once per run
  std::atomic<int64_t> windows_done_{0};
  int64_t sigterm_after_windows_ = -1;
  std::string gap_words_;  // the last processed release's gap table in words, for the summary
#ifdef NIGHTLIGHTS_WITH_CAIRO
  std::unique_ptr<ReleaseMaps> maps_;  // zone geometries for the maps, read at the first release
#endif
  std::unique_ptr<GeoPackageLevelsInBackground> geopackages_;  // after cfg_: it reads it until destroyed
};

int BatchRun::run() {
  Clock::time_point t0 = Clock::now(), t = t0;
  std::vector<ReleaseFile> releases = releases_to_consider();
  stage_done("release files found", t);
  check_zone_ids(cfg_.zones);
  stage_done("zone ids checked", t);
  // A dry run reads only: the manifest is replaced in one rename, so it reads a whole one.
  if (!opt_.dry_run) lock_ = lock_output(out_, !opt_.no_wait);
  geopackages_ = geopackage_levels_beside_run(cfg_, cluster::is_writer() && !opt_.dry_run, out_, !opt_.verify);
  manifest_ = load_manifest_of_units(manifest_path_, cfg_.releases.units);
  settings_ = settings_fingerprint(cfg_, manifest_, opt_.verify);
  const std::vector<DirectoryEntry> listing = list_release_folder(out_ + "/releases");  // the run's one
  folders_ = release_folders(listing);
  committed_ = panel_releases(manifest_, folders_);
  const auto plan = plan_against_history(std::move(releases), manifest_, committed_, settings_, out_,
                                         {opt_.force, opt_.verify}, cluster::is_writer() && !opt_.dry_run);
  say_if_settings_changed(plan);
  const auto deleted = deleted_rasters(manifest_, committed_, plan, opt_.only);
  if (opt_.dry_run) return print_dry_run(plan, deleted, out_, cfg_);
  stage_done("manifest read, plan", t);
  prepare_output(plan, listing);
  stage_done("output prepared", t);
  const RunCounts counts = process_all(plan);
  stage_done("releases", t);
  check_interrupt();
  write_run_outputs();
  stage_done("panel and run outputs", t);
  return summarise(counts, deleted, t0, out_, manifest_path_, gap_words_);
}

std::vector<ReleaseFile> BatchRun::releases_to_consider() const {
  std::vector<ReleaseFile> releases = find_releases(cfg_.releases);
  if (releases.empty())
    throw UserError(cfg_.path + ": no release file matches releases.files and releases.pattern ('" +
                    cfg_.releases.pattern + "')");
  if (!opt_.only.empty()) {
    std::erase_if(releases, [&](const ReleaseFile& r) { return r.id != opt_.only; });
    if (releases.empty()) throw UserError("release '" + opt_.only + "' not found among the release files");
  }
  return releases;
}

void BatchRun::prepare_output(const std::vector<PlannedRelease>& plan, const std::vector<DirectoryEntry>& listing) {
  if (cluster::is_writer()) make_directories(out_ + "/releases");
  if (cfg_.hu_line.enabled && std::any_of(plan.begin(), plan.end(), [](const PlannedRelease& p) {
        return p.action != ReleaseAction::unchanged;
      }))
    hu_ = prepare_hu_line_zones(cfg_, out_, !opt_.verify);
  if (cluster::is_writer()) {
    // Remembered mtimes of touched files and zone hashes, so the next run need not hash again.
    save_manifest(manifest_path_, manifest_);
    remove_stale_staging(out_ + "/releases", listing);
    remove_stale_output_temporaries(out_, listing, committed_, plan);  // not in those it leaves alone
  }
  if (const char* n = std::getenv("NIGHTLIGHTS_TEST_SIGTERM_AFTER_WINDOWS")) sigterm_after_windows_ = std::atoll(n);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
}

// Each release to do is measured (by every rank, windows split, or whole on one rank when there
// are more releases than ranks: release_ranks.hpp), then analysed and written by rank 0.
RunCounts BatchRun::process_all(const std::vector<PlannedRelease>& plan) {
  RunCounts counts;
  std::vector<size_t> to_do;
  for (size_t i = 0; i < plan.size(); ++i)
    if (plan[i].action != ReleaseAction::unchanged) to_do.push_back(i);
  counts.skipped = plan.size() - to_do.size();
  // A DMSP year's calibration record and saturation pass do not travel between ranks yet: such
  // runs split each release's windows across ranks instead.
  const bool dmsp = std::any_of(to_do.begin(), to_do.end(), [&](size_t i) { return !plan[i].release.satellites.empty(); });
  const bool whole = releases_on_ranks(to_do.size()) && !dmsp;
  // A cube's bands: a batch of them measured in one pass (cube_batches.hpp).
  CubeBatches cubes(plan, to_do);
  const CubeBatchSteps cube_steps{[&](const ReleaseFile& r) { return open_release_input(r, cfg_, manifest_, {}); },
                                  [&](const RasterInfo& r) -> const CoverageIndex& { return measure_zones(r); },
                                  [&](const ReleaseInput& in) { return measure_options(in, whole); }};
  RankSteps steps;
  std::vector<size_t> units;  // under MPI every rank cuts rank 0's batches; whole: a batch is one unit
  if (cubes.any() && cluster::size() > 1) {
    const auto ranks = static_cast<size_t>(cluster::size());
    cubes.size_all(cube_steps, [](size_t n) { return size_t(cluster::sum_over_ranks(cluster::is_writer() ? int64_t(n) : 0)); },
                   whole ? ranks : 1);
    units = cubes.units();
    if (whole) steps.owner = [&units, ranks](size_t k) { return static_cast<int>(units[k] % ranks); };
  }
  steps.measure = [&](size_t k) {
    check_interrupt();
    if (cubes.batched(k)) return cubes.take(k, cube_steps);
    return measure(plan[to_do[k]].release, whole);
  };
  steps.commit = [&](size_t k, Measurement& m, Clock::time_point t0) {
    const PlannedRelease& p = plan[to_do[k]];
    check_panel_grid(p.release, m.input.raster, manifest_);  // the panel may have got its grid in this run
    if (!zones_ || !zones_->grid.same_grid(m.input.raster.grid))  // rank 0 measured nothing on it yet
      measure_zones(open_release_input(p.release, cfg_, manifest_, needed_tiles()).raster);
    write_and_commit(p, m, analyse(p.release.id, m), t0);
    ++counts.processed;
    log_info("release " + p.release.id + " (" + std::to_string(to_do[k] + 1) + "/" + std::to_string(plan.size()) + ", " +
             action_name(p.action) + (m.rank >= 0 ? ", rank " + std::to_string(m.rank) : "") + "): done in " +
             rounded_seconds(t0) + " s");
  };
  steps.fail = [&](size_t k, const std::string& reason) {
    counts.failures.push_back(plan[to_do[k]].release.id);
    record_failure(plan[to_do[k]].release, reason);
  };
  // A signal (or the caller's cancelling) stops the run: it is not the release's failure.
  steps.stops_run = [](const std::exception& e) {
    return dynamic_cast<const Interrupted*>(&e) != nullptr || dynamic_cast<const Cancelled*>(&e) != nullptr;
  };
  try {
    process_releases(to_do.size(), whole, steps);
  } catch (const Cancelled&) {
    check_interrupt();  // stopped by a signal: the run stops, resumable
    throw;              // cancelled by the caller
  }
  return counts;
}

Measurement BatchRun::measure(const ReleaseFile& release, bool this_rank_only) {
  Measurement m;
  m.input = open_release_input(release, cfg_, manifest_, release.tiles.empty() ? std::vector<TileId>{} : needed_tiles());
  auto hashed = hashed_beside(m.input.stamps);  // while the zonal pass decodes
  const RasterInfo& raster = m.input.raster;
  measure_zones(raster);
  const auto t_zonal = Clock::now();
  ZonalOptions zo = measure_options(m.input, this_rank_only);
  m.result = run_zonal(raster, zones_->index, raster_cell_areas(raster), zo);
  if (m.input.dmsp) {  // saturated_area_km2: the same reads, the raw DN = 63 indicator accumulated
    use_dmsp_saturation(*m.input.dmsp, zo);
    m.saturation = run_zonal(raster, zones_->index, raster_cell_areas(raster), zo);
  }
  m.zonal_seconds = seconds_since(t_zonal);
  m.input.stamps = hashed.get();
  return m;
}

ZonalOptions BatchRun::measure_options(const ReleaseInput& input, bool this_rank_only) {
  ZonalOptions zo = zonal_options(cfg_, input, opt_.threads ? opt_.threads : cfg_.threads);
  zo.this_rank_only = this_rank_only;
  zo.progress = [this](double fraction) {
    const int64_t n = ++windows_done_;
    if (sigterm_after_windows_ >= 0 && n == sigterm_after_windows_) std::raise(SIGTERM);
    // A stop signal cancels the release; so does the caller's callback.
    return g_signal == 0 && (!opt_.progress || opt_.progress(fraction));
  };
  return zo;
}

const std::vector<TileId>& BatchRun::needed_tiles() {
  if (!needed_tiles_) needed_tiles_ = tiles_needed_by_zones(cfg_);
  return *needed_tiles_;
}

const CoverageIndex& BatchRun::measure_zones(const RasterInfo& raster) {
  if (!zones_ || !zones_->grid.same_grid(raster.grid))
    zones_ = std::make_unique<PreparedZones>(
        prepare_zones(cfg_, raster, opt_.cache_dir, hu_ ? std::optional<ZoneSource>(hu_->source) : std::nullopt));
  return zones_->index;
}

ReleaseTables BatchRun::analyse(const std::string& release, const Measurement& m) const {
  const ZonalResult& result = m.result;
  MeasuredZones measured;
  if (m.saturation) measured.saturation = &m.saturation->zones;
  for (const auto& layer : zones_->layers) measured.layers.push_back(&layer);
  measured.offset = zones_->offset;
  measured.accumulators = &result.zones;
  std::optional<HuLineSides> sides;
  if (hu_) {
    const size_t first = zones_->offset.back();  // the sides' layer comes last
    sides = HuLineSides{hu_->definition.shape, &result.zones[first], &result.zones[first + 1], &hu_->side_of_unit};
  }
  return analyse_release(cfg_, release, measured, sides ? &*sides : nullptr);
}

// Stage the release's folder, then swap it into place: its tables are all new or all old.
void BatchRun::write_and_commit(const PlannedRelease& planned, const Measurement& m, const ReleaseTables& tables,
                                Clock::time_point t0) {
  const ReleaseFile& release = planned.release;
  StagedReleaseFolder stage(out_ + "/releases", release.id);
  const std::string bom = cfg_.output.bom ? "\xEF\xBB\xBF" : "";
  for (size_t l = 0; l < tables.levels.size(); ++l) stage.write(tables.levels[l].name + ".csv", bom + tables.level_csv[l]);
  if (!tables.gaps_csv.empty()) stage.write("gaps.csv", bom + tables.gaps_csv);
  if (!tables.hu_line_csv.empty()) stage.write("hu_line.csv", bom + tables.hu_line_csv);
  if (!tables.inequality_csv.empty()) stage.write("inequality.csv", bom + tables.inequality_csv);
  stage.write(kReleaseLevelsFile, encode_release_levels(tables));  // what the panel's readers use
  const double maps_seconds = draw_maps(stage.path() + "/maps", release, tables);

  Provenance prov;
  prov.release = release.id;
  prov.action = action_name(planned.action);
  prov.previous_sha256 = planned.previous_sha;
  prov.config_path = cfg_.path;
  prov.config_text = cfg_.text;
  prov.units = cfg_.releases.units;
  prov.grid = m.input.raster.grid.describe();
  prov.coverage = coverage_mode_name(cfg_.coverage);
  const auto inputs = release_inputs(release);
  for (size_t i = 0; i < m.input.stamps.size(); ++i) prov.inputs.push_back({inputs[i].first, m.input.stamps[i]});
  if (m.input.dmsp) prov.dmsp_json = dmsp_provenance_json(*m.input.dmsp, m.result.transform_count);
  // The zone files' hashes were taken once per run, for the settings fingerprint.
  for (const auto& z : manifest_.zone_inputs) prov.inputs.push_back({"zones", z});
  for (const auto& layer : zones_->layers) prov.zones_repaired.push_back(layer.repaired);
  prov.timings_s = {{"zones_prepared", zones_->prepare_seconds}, {"zonal", m.zonal_seconds},
                    {"maps", maps_seconds}, {"total", seconds_since(t0)}};
  prov.cells_read = m.result.cells_read;
  prov.negative_cells = m.result.negative_cells;
  if (m.rank >= 0) prov.measured_on_rank = m.rank;
  if (m.input.mosaic) {
    prov.tiles_needed = m.input.mosaic->needed;
    for (const TileId& t : m.input.mosaic->missing) prov.tiles_missing.push_back(t.name());
  }
  stage.write("provenance.json", provenance_json(prov));
  check_interrupt();
  note_committed_folder(folders_, release.id, stage.commit());
  record_done(release, m);
  gap_words_ = tables.words;  // only a release whose tables are in place is told about
}

void BatchRun::record_done(const ReleaseFile& release, const Measurement& m) {
  if (!manifest_.has_grid) remember_panel_grid(manifest_, m.input.raster.grid);
  manifest_.units = cfg_.releases.units;
  ReleaseRecord& record = manifest_.releases[release.id] = {"done", "", utc_now(), m.input.stamps, settings_,
                                                            std::nullopt, {}};
  if (m.input.mosaic && !m.input.mosaic->missing.empty()) {
    const TileMosaic& mosaic = *m.input.mosaic;
    for (const TileId& t : mosaic.missing) record.missing_tiles.push_back(t.name());
    log_warning("release " + release.id + ": " + std::to_string(mosaic.missing.size()) + " of " +
                std::to_string(mosaic.needed) + " tiles missing (" + tile_names(mosaic.missing) +
                "); their cells count as no data");
  }
  save_manifest(manifest_path_, manifest_);
}

#ifdef NIGHTLIGHTS_WITH_CAIRO
// What the maps of a release show: its levels' accumulators and gaps, and the Hu line between
// its two towns (the extension past them only closes the side polygons).
ReleaseMapInputs map_inputs(const RunConfig& cfg, const ReleaseFile& release, const ReleaseTables& tables,
                            const std::optional<HuLineZones>& hu) {
  ReleaseMapInputs in;
  in.release = release.id;
  in.product = fs::path(release.path).filename().string();
  in.units = cfg.releases.units;
  in.min_valid_fraction = cfg.min_valid_fraction;
  in.reference_brightness = tables.reference_brightness;
  in.reference_name = cfg.gaps.reference;
  in.levels = &tables.levels;
  in.gap_brightness = &tables.brightness_of_level;
  if (hu) {
    const HuLineDefinition& line = hu->definition;
    for (const auto& [lon, lat] : hu_line_vertices(line))
      if (lat >= line.sw_lat - 1e-9 && lat <= line.ne_lat + 1e-9) in.hu_line_lonlat.emplace_back(lon, lat);
  }
  return in;
}
#endif

// Maps are pictures of the tables just computed: drawn from the accumulators in memory.
double BatchRun::draw_maps(const std::string& dir, const ReleaseFile& release, const ReleaseTables& tables) {
#ifdef NIGHTLIGHTS_WITH_CAIRO
  if (!cfg_.output.pictures) return 0;
  const auto t0 = Clock::now();
  const ThreadsBesideGeoPackages cores(geopackages_.get());
  if (!maps_) maps_ = std::make_unique<ReleaseMaps>(cfg_, [&](const ZoneLayerConfig& z) {
    return stored_or_prepared_map_geometry(out_, z, zone_sha256(manifest_, z.path));
  }, out_);
  maps_->draw(dir, map_inputs(cfg_, release, tables, hu_));
  log_info("release " + release.id + ": maps drawn in " + rounded_seconds(t0) + " s");
  return seconds_since(t0);
#else
  (void)dir, (void)release, (void)tables;
  return 0;
#endif
}

void BatchRun::record_failure(const ReleaseFile& release, const std::string& reason) {
  const ReleaseRecord rec = failure_record(manifest_, out_, release, reason, settings_, cluster::is_writer());
  manifest_.releases[release.id] = rec;
  if (cluster::is_writer()) save_manifest(manifest_path_, manifest_);
  log_warning("release " + release.id + " failed: " + reason +
              (rec.last_good ? " (its last good tables, of " + rec.last_good->finished + ", stay in the panel)" : ""));
}

void BatchRun::write_run_outputs() {
  if (!cluster::is_writer()) return;
  const auto done = panel_releases(manifest_, folders_);
  write_panel_tables(out_, cfg_, done, opt_.verify);  // --verify: stacked again from every folder
  if (cfg_.convergence.enabled) write_convergence_tables(out_, cfg_, done);
#ifdef NIGHTLIGHTS_WITH_CAIRO
  if (cfg_.output.pictures && fs::exists(out_ + "/panel")) write_run_report(out_, cfg_);
#endif
  if (!done.empty() && geopackages_) write_level_geopackages(out_, cfg_, done.back().id, geopackages_->take());
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
    log_error("stopped by signal " + std::to_string(e.signal) + "; finished releases are kept, the next run resumes");
    return 128 + e.signal;
  }
}

}  // namespace nl
