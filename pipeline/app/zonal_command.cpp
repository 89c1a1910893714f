// `zonal`: reads one band over one layer and writes the per-polygon CSV.
#include "pipeline/app/zonal_command.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "pipeline/engine/cluster.hpp"
#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/engine/zonal_engine.hpp"

namespace nl {

std::string zonal_csv(const ZoneSet& zones, const std::string& id_field,
                      const std::vector<Statistic>& stats,
                      const std::vector<ZoneAccumulator>& acc) {
  std::string out = csv_field(id_field);
  for (const auto& f : zones.field_names) {
    out += ',';
    out += csv_field(f);
  }
  for (Statistic s : stats) out += std::string(",") + statistic_name(s);
  out += "\n";
  for (size_t z = 0; z < zones.size(); ++z) {
    out += csv_field(zones.ids[z]);
    for (const auto& v : zones.fields[z]) {
      out += ',';
      out += csv_field(v);
    }
    for (Statistic s : stats) {
      out += ",";
      if (auto v = statistic_value(acc[z], s)) out += format_number(*v);
    }
    out += "\n";
  }
  return out;
}

ZonalTable compute_zonal_table(const ZonalCommandOptions& o, const ProgressCallback& progress) {
  ZonalTable t;
  RasterInfo raster = inspect_raster(o.raster, o.band, o.assume_crs);
  ZoneSource zsrc = o.zones;
  if (zsrc.assume_crs.empty()) zsrc.assume_crs = o.assume_crs;
  const auto t_prepare = std::chrono::steady_clock::now();
  PreparedIndex prepared =
      prepare_zones_cached({zsrc}, raster, o.coverage, CoverageCache{o.cache_dir, cluster::is_writer()});
  t.prepare_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_prepare).count();
  t.zones = std::move(prepared.layers.front());

  ZonalOptions zopt;
  zopt.threads = o.threads;
  zopt.lit_threshold = o.lit_threshold;
  zopt.preprocess.nodata = o.nodata ? nodata_in_raster_type(raster, *o.nodata) : raster.nodata;
  zopt.preprocess.scale = raster.scale;
  zopt.preprocess.offset = raster.offset;
  zopt.preprocess.floor = o.floor;
  zopt.progress = progress;
  const auto t_zonal = std::chrono::steady_clock::now();
  ZonalResult result = run_zonal(raster, prepared.index, raster_cell_areas(raster), zopt);
  t.zonal_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_zonal).count();
  t.accumulators = std::move(result.zones);
  t.cells_read = result.cells_read;
  t.windows_read = result.windows_read;
  return t;
}

void run_zonal_command(const ZonalCommandOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  for (const std::string* input : {&o.raster, &o.zones.path}) {
    std::error_code e1, e2;
    const auto a = std::filesystem::weakly_canonical(o.output, e1), b = std::filesystem::weakly_canonical(*input, e2);
    if (!e1 && !e2 && a == b)
      throw UserError(o.output + ": the output would overwrite an input; choose another -o");
  }
  // Rank 0 alone writes (and fails early on an unwritable path, before any work).
  std::optional<AtomicOutput> out;
  if (cluster::is_writer()) out.emplace(o.output);
  Progress bar(true);
  const ZonalTable t = compute_zonal_table(o, [&bar](double fraction) {
    bar.update(fraction);
    return true;
  });
  bar.finish();
  size_t missing = 0;
  for (const auto& a : t.accumulators) missing += (a.count + a.nodata_count == 0);
  if (missing)
    log_warning(std::to_string(missing) + " of " + std::to_string(t.zones.size()) +
                " zones cover no cell of the raster (rows kept with count 0)");

  std::string table = zonal_csv(t.zones, o.zones.id_field, o.stats, t.accumulators);
  if (!out) return;
  if (o.bom) out->write("\xEF\xBB\xBF");
  out->write(table);
  out->commit();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char line[256];
  std::snprintf(line, sizeof line,
                "%zu zones (prepared in %.2f s), %lld cells read in %lld windows (%.2f s), %.2f s in all -> %s",
                t.zones.size(), t.prepare_seconds, static_cast<long long>(t.cells_read),
                static_cast<long long>(t.windows_read), t.zonal_seconds, seconds, o.output.c_str());
  log_info(line);
}

}  // namespace nl
