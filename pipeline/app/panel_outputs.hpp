// The run's outputs over all releases, written after the releases are processed: the panel
// (each table stacked over the releases the manifest backs), the convergence tables and the
// GeoPackages of the latest release. Rank 0 only.
#pragma once
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"

namespace nl {

// `releases`: ids whose tables are in OUT/releases, in order. With none, the panel is removed
// (an old one would list releases the manifest no longer backs).
void write_panel_tables(const std::string& out, const RunConfig& config, const std::vector<std::string>& releases);

// panel/convergence.csv and panel/growth_<name>.csv over `releases`.
void write_convergence_tables(const std::string& out, const RunConfig& config,
                              const std::vector<std::string>& releases);

// OUT/<level>.gpkg for each of output.geopackage_levels: the level's units with the tables of
// release `latest`.
void write_level_geopackages(const std::string& out, const RunConfig& config, const std::string& latest);

}  // namespace nl
