// The Hu line's work kept between runs (OUT/panel/.hu_line.json): which side each unit of its
// level is on, and the stamp of the sides' GeoPackage written with it. Both depend only on the
// line's definition, the country and the level's zone file, yet cost a GCJ-02 correction and
// GEOS work on every county (~1.8 s on China) — on every daily run that adds a release.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "pipeline/analysis/hu_line.hpp"
#include "pipeline/io/config.hpp"

namespace nl {

// What the stored work depends on: the build, the definition, and each input file's path,
// layer, datum and size/mtime. Empty when an input is not a plain file (a GDAL connection
// string has no stamp): then nothing is kept and the work is done on every run.
std::string hu_line_cache_key(const HuLineDefinition& line, const CountrySource& country,
                              const ZoneLayerConfig& level_zones);

// The stored sides of the units when the record was made with `key` and the sides' GeoPackage
// at `zones_gpkg` is still the file written with it (same size and mtime).
std::optional<std::map<std::string, std::string>> stored_hu_line_sides(
    const std::string& out, const std::string& key, const std::string& zones_gpkg);

// Keeps the sides with `key` and the current stamp of `zones_gpkg` (written atomically).
void store_hu_line_sides(const std::string& out, const std::string& key,
                         const std::string& zones_gpkg,
                         const std::map<std::string, std::string>& sides);

}  // namespace nl
