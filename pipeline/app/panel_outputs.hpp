// The run's outputs over all releases, written after the releases are processed: the panel
// (each table stacked over the releases the manifest backs) and the convergence tables (the
// GeoPackages of the latest release: level_geopackages.hpp). Rank 0 only.
#pragma once
#include <string>
#include <vector>

#include "pipeline/app/release_history.hpp"
#include "pipeline/io/config.hpp"

namespace nl {

// `releases`: those whose tables are in OUT/releases, in order, with their versions (an old
// release whose version is unchanged is taken as stacked before, without opening its folder).
// With none, the panel is removed (an old one would list releases the manifest no longer backs).
// `restack` (run --verify): every table stacked again from the release folders.
void write_panel_tables(const std::string& out, const RunConfig& config, const std::vector<PanelRelease>& releases,
                        bool restack = false);

// panel/convergence.csv and panel/growth_<name>.csv over `releases`.
void write_convergence_tables(const std::string& out, const RunConfig& config,
                              const std::vector<PanelRelease>& releases);

}  // namespace nl
