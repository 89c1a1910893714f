// Preparing the Hu line's zones for a run (see hu_line_zones.hpp).
#include "pipeline/app/hu_line_zones.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/app/hu_line_cache.hpp"
#include "pipeline/engine/cluster.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace fs = std::filesystem;

HuLineZones prepare_hu_line_zones(const RunConfig& config, const std::string& out, bool reuse_kept) {
  const auto t0 = std::chrono::steady_clock::now();
  HuLineZones hu;
  hu.definition = load_hu_line_definition(config.hu_line.definition);
  if (!config.hu_line.shape.empty()) hu.definition.shape = config.hu_line.shape;
  const std::string path = out + "/hu_line_zones.gpkg";
  const std::string fresh = out + "/.hu_line_zones.new.gpkg";
  const CountrySource country{config.hu_line.country_path, config.hu_line.country_layer,
                              config.hu_line.country_assume_crs, config.hu_line.country_datum};
  const LevelConfig& lc = config.levels[level_index(config, config.hu_line.level)];
  const ZoneLayerConfig& z = *std::find_if(config.zones.begin(), config.zones.end(),
                                           [&](const auto& zc) { return zc.name == lc.zones; });
  // Every rank reads the record before the barrier, and rank 0 rewrites it only after.
  const std::string key = hu_line_cache_key(hu.definition, country, z);
  auto stored = reuse_kept ? stored_hu_line_sides(out, key, path) : std::nullopt;
  if (cluster::is_writer() && !stored) {
    write_hu_line_zones(hu.definition, country, fresh);
    const auto old = read_whole_file(path);
    if (old && *old == read_whole_file(fresh))
      fs::remove(fresh);
    else
      fs::rename(fresh, path);
  }
  cluster::barrier();  // the other ranks read the zones rank 0 wrote
  hu.source = ZoneSource{path, "hu_line", "side", {}, "", Datum::wgs84};
  if (stored) {
    hu.side_of_unit = std::move(*stored);
  } else {
    hu.side_of_unit = hu_line_sides_of_zones(hu.definition, z.path, z.layer, z.id_field, z.datum);
    if (cluster::is_writer()) store_hu_line_sides(out, key, path, hu.side_of_unit);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_info("Hu line (" + hu.definition.shape + ") zones and the side of " +
           std::to_string(hu.side_of_unit.size()) + " " + lc.name + " units " +
           (stored ? "kept from an earlier run" : "ready") + " in " +
           format_number(std::round(seconds * 100) / 100) + " s");
  return hu;
}

}  // namespace nl
