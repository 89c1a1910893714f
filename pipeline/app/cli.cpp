// The command line: CLI11 options of each command mapped to its library call.
#include "pipeline/app/cli.hpp"

#include <CLI/CLI.hpp>

#include <omp.h>

#include <algorithm>
#include <cstdio>

#include "pipeline/app/batch_run.hpp"
#include "pipeline/io/build_info.hpp"
#include "pipeline/app/cache_command.hpp"
#include "pipeline/engine/cluster.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/app/decode_floor.hpp"
#include "pipeline/app/report_command.hpp"
#include "pipeline/app/run_environment.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/app/zonal_command.hpp"

namespace nl {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

// "statistics, comma-separated, of: count, nodata_count, …" from the accumulator's own list.
std::string statistics_help() {
  std::string names;
  for (const auto& n : statistic_names()) names += (names.empty() ? "" : ", ") + n;
  return "statistics, comma-separated, of: " + names;
}

// CLI11 would only say "The following argument was not expected"; name the word and the closest
// command instead. Empty when argv[1] is an option or a known command (hidden ones included).
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return "";
  const std::string word = argv[1];
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  if (std::find(names.begin(), names.end(), word) != names.end()) return "";
  const std::string hint = closest_word(word, names);
  return "unknown command '" + word + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
         "; nightlights --help lists the commands";
}

// The `zonal` command's arguments as parsed, before they become its options.
struct ZonalArgs {
  ZonalCommandOptions z;
  std::string stats = "count,sum,mean,min,max", coverage = "exact", include;
  double nodata = 0, floor = 0;
  bool quiet = false, no_cache = false;
  std::string cache_dir = default_cache_directory();
  CLI::Option* nodata_opt = nullptr;
  CLI::Option* floor_opt = nullptr;

  // The command's options from the parsed text.
  ZonalCommandOptions options() const {
    ZonalCommandOptions o = z;
    o.stats = parse_statistics(stats);
    o.coverage = parse_coverage_mode(coverage);
    o.zones.include_fields = split_list(include);
    if (*nodata_opt) o.nodata = nodata;  // rounded to the band's type where the raster is read
    if (*floor_opt) o.floor = floor;
    o.cache_dir = no_cache ? "" : cache_dir;
    return o;
  }
};

CLI::App* add_zonal_command(CLI::App& app, ZonalArgs& a) {
  auto* zonal = app.add_subcommand("zonal", "statistics of one raster band per polygon of a layer");
  zonal->add_option("-r,--raster", a.z.raster, "raster (any GDAL name, e.g. f.tif, HDF5:\"f.h5\"://x)")
      ->required()->type_name("RASTER");
  zonal->add_option("-b,--band", a.z.band, "band number")->capture_default_str()->type_name("N");
  zonal->add_option("-p,--polygons", a.z.zones.path, "zone polygons (any OGR source)")->required()->type_name("PATH");
  zonal->add_option("-l,--layer", a.z.zones.layer, "layer name (default: the first)")->type_name("NAME");
  zonal->add_option("-f,--id-field", a.z.zones.id_field, "field with a unique id per polygon")
      ->required()->type_name("FIELD");
  zonal->add_option("--include", a.include, "fields to carry into the table, comma-separated")->type_name("FIELDS");
  zonal->add_option("-s,--stats", a.stats, statistics_help())->capture_default_str()->type_name("STATS");
  zonal->add_option("--coverage", a.coverage, "exact | center | all-touched")->capture_default_str()->type_name("MODE");
  a.nodata_opt = zonal->add_option("--nodata", a.nodata, "raw value meaning no data (overrides the band's)")
      ->type_name("VALUE");
  a.floor_opt = zonal->add_option("--floor", a.floor, "valid values below this become 0 (background)")
      ->type_name("VALUE");
  zonal->add_option("--quality", a.z.quality, "quality raster (e.g. cloud-free counts), band -b of it")
      ->type_name("RASTER");
  zonal->add_option("--min-count", a.z.min_count, "quality below this is no data")->capture_default_str()->type_name("N");
  zonal->add_option("--lit-threshold", a.z.lit_threshold, "a cell is lit when its value is above this")
      ->capture_default_str()->type_name("VALUE");
  zonal->add_option("--assume-crs", a.z.assume_crs, "CRS for a raster or layer that has none, e.g. EPSG:4326")
      ->type_name("CRS");
  zonal->add_option("--datum", [&a](const CLI::results_t& r) { a.z.zones.datum = parse_datum(r[0]); return true; },
                    "datum of the polygons' lon/lat: wgs84 | gcj02")->default_str("wgs84")->type_name("DATUM");
  zonal->add_option("--threads", a.z.threads, "OpenMP threads (default: OMP_NUM_THREADS or all cores)")
      ->check(CLI::Range(1, 65536).description(""))->type_name("N");
  zonal->add_flag("--bom", a.z.bom, "start the CSV with a UTF-8 byte-order mark (for spreadsheets)");
  zonal->add_flag("-q,--quiet", a.quiet, "no progress or summary");
  zonal->add_option("--cache-dir", a.cache_dir, "folder of the coverage index cache")->capture_default_str()
      ->type_name("DIR");
  zonal->add_flag("--no-cache", a.no_cache, "neither read nor write the coverage index cache");
  zonal->add_option("-o,--output", a.z.output, "output CSV")->required()->type_name("PATH");

  return zonal;
}

// The `run` command's arguments as parsed.
struct RunArgs {
  BatchOptions b;
  bool quiet = false, no_cache = false;
  std::string cache_dir = default_cache_directory();
};

CLI::App* add_run_command(CLI::App& app, RunArgs& a) {
  auto* run = app.add_subcommand("run", "batch over a folder of releases as a YAML config describes");
  run->add_option("config", a.b.config, "the YAML configuration (see configs/)")->required()->type_name("CONFIG.yaml");
  run->add_flag("--force", a.b.force, "redo every release, changed or not");
  run->add_option("--only", a.b.only, "process only this release id")->type_name("RELEASE");
  run->add_flag("--dry-run", a.b.dry_run, "list the releases and what would be done; write nothing");
  run->add_option("--releases", a.b.releases_glob, "glob of release files, overriding releases.files")
      ->type_name("GLOB");
  run->add_flag("--no-wait", a.b.no_wait, "when another run holds the output folder's lock, refuse instead of waiting");
  run->add_flag("--verify", a.b.verify,
                "hash every input, also those whose size and mtime are unchanged, and look into every release "
                "folder (slower)");
  run->add_option("--threads", a.b.threads, "OpenMP threads (default: the config's, else all cores)")
      ->check(CLI::Range(1, 65536).description(""))->type_name("N");
  run->add_flag("-q,--quiet", a.quiet, "no progress lines or summary");
  run->add_option("--cache-dir", a.cache_dir, "folder of the coverage index cache")->capture_default_str()
      ->type_name("DIR");
  run->add_flag("--no-cache", a.no_cache, "neither read nor write the coverage index cache");

  return run;
}

}  // namespace

int nightlights_main(int argc, char** argv) {
  CLI::App app{"nightlights: zonal statistics of night-light rasters per county and city, exact "
               "coverage, true pixel areas"};
  app.set_version_flag("--version", std::string(NIGHTLIGHTS_VERSION) + " (" + git_describe() + ")");
  app.require_subcommand(1);

  ZonalArgs za;
  CLI::App* zonal = add_zonal_command(app, za);
  RunArgs ra;
  CLI::App* run = add_run_command(app, ra);

  std::string cache_action, cache_command_dir = default_cache_directory();
  auto* cache = app.add_subcommand("cache", "list or clear the coverage index cache");
  cache->add_option("action", cache_action, "list | clear")->required()->check(CLI::IsMember({"list", "clear"}));
  cache->add_option("--cache-dir", cache_command_dir, "folder of the coverage index cache")->capture_default_str();

  std::string report_out;
  app.add_subcommand("report", "redraw the charts and OUT/report.html from a finished output folder")
      ->add_option("out", report_out, "the run's output folder (output.directory)")->required()->type_name("OUT");
  std::string decode_raster;
  int decode_band = 1, decode_threads = 0;
  auto* decode = app.add_subcommand("decode-floor", "benchmark floor: read every block of a band, nothing else");
  decode->group("");  // for scripts/bench only: callable, but not listed in nightlights --help
  decode->add_option("-r,--raster", decode_raster, "raster")->required()->type_name("RASTER");
  decode->add_option("-b,--band", decode_band, "band number")->capture_default_str()->type_name("N");
  bool decode_through_cache = false;
  decode->add_flag("--block-cache", decode_through_cache,
                   "read through RasterIO and GDAL's block cache instead of ReadBlock per block");
  decode->add_option("--threads", decode_threads, "OpenMP threads")
      ->check(CLI::Range(1, 65536).description(""))->type_name("N");

  if (const std::string unknown = unknown_command(app, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "nightlights: error: %s\n", unknown.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nightlights: error: %s\n", e.what());
    return 2;
  }

  try {
    set_silent(!cluster::is_writer());
    set_quiet(za.quiet || ra.quiet);
    apply_run_environment();
    configure_gdal();
    // --threads bounds every parallel part (zone preparation too), not only the window loop.
    const int threads = zonal->parsed() ? za.z.threads : run->parsed() ? ra.b.threads : decode_threads;
    if (threads > 0) omp_set_num_threads(threads);
    if (run->parsed()) {
      ra.b.cache_dir = ra.no_cache ? "" : ra.cache_dir;
      return run_batch(ra.b);
    }
    if (cache->parsed()) return run_cache_command(cache_action, cache_command_dir);
    if (app.got_subcommand("report")) return run_report_command(report_out);
    if (decode->parsed()) {
      const DecodeFloorResult r = decode_floor(decode_raster, decode_band, decode_threads, decode_through_cache);
      std::printf("decode-floor (%s): %lld cells in %lld windows, %.3f s (checksum %g)\n",
                  decode_through_cache ? "RasterIO through the block cache" : "ReadBlock per block", r.cells, r.windows,
                  r.seconds, r.checksum);
      return 0;
    }
    if (zonal->parsed()) run_zonal_command(za.options());
    return 0;
  } catch (const UserError& e) {
    cluster::mark_broken();
    if (cluster::is_writer()) std::fprintf(stderr, "nightlights: error: %s\n", e.what());
    return 1;
  } catch (const std::invalid_argument& e) {
    cluster::mark_broken();
    if (cluster::is_writer()) std::fprintf(stderr, "nightlights: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    cluster::mark_broken();
    std::fprintf(stderr, "nightlights: internal error: %s\n", e.what());
    return 3;
  }
}

}  // namespace nl
