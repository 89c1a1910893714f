// The GeoPackages' derived units kept between runs (OUT/panel/.geopackages/<level>.units): a
// level built from a finer one gets the GEOS union of its members' polygons, ~9 s for China's
// 372 cities on every run that writes GeoPackages, yet it depends only on the zone files and the
// levels' configuration. Own-layer levels are read as before (their geometry is the layer's).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"
#include "pipeline/io/geopackage_writer.hpp"

namespace nl {

// What the kept units depend on: the build, every zone layer's configuration and file
// (absolute path, size, mtime) and every level's configuration (its lookup table's entries
// included). Empty when a zone layer is not a plain file (a GDAL connection string has no
// stamp): then nothing is kept.
std::string derived_units_key(const RunConfig& config);

// Level `level`'s kept units when they were stored under `key` with exactly `codes`, in order
// (the units the run derived now); nullopt otherwise (absent, damaged, or made for other inputs).
std::optional<std::vector<UnitGeometry>> stored_derived_units(
    const std::string& out, const std::string& level, const std::string& key,
    const std::vector<std::string>& codes);

// Keeps `units` (codes and geometries as ISO WKB) under `key`, written atomically; a failure to
// write is a warning, not an error.
void store_derived_units(const std::string& out, const std::string& level, const std::string& key,
                         const std::vector<UnitGeometry>& units);

}  // namespace nl
