// The on-disk coverage index cache: zones prepared for one grid (ids, carried fields, and every
// window's coverage runs) so that the next release on the same grid only decodes and
// accumulates. Keyed by the grid, the zone sources and the coverage mode; validated on load;
// written atomically so concurrent jobs cannot corrupt it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pipeline/raster_source.hpp"
#include "pipeline/zonal_engine.hpp"
#include "pipeline/zone_layer.hpp"

namespace nl {

struct PreparedIndex {
  std::vector<ZoneSet> layers;  // ids and fields only (rings are not kept)
  CoverageIndex index;          // over all layers' zones, layer after layer
};

struct CoverageCache {
  std::string directory;  // empty: caching off
  bool writable = true;   // false on MPI ranks other than 0: they read, never write

  // The default per-user folder: $NIGHTLIGHTS_CACHE_DIR, else $XDG_CACHE_HOME/nightlights,
  // else ~/.cache/nightlights.
  static std::string default_directory();

  // The cached index for these inputs, or nothing (absent, stale or damaged: never a wrong one).
  std::optional<PreparedIndex> load(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                    const WindowLayout& layout, CoverageMode mode) const;
  // Best effort: a cache that cannot be written is a warning, not an error.
  void store(const std::vector<ZoneSource>& sources, const RasterInfo& raster, const WindowLayout& layout,
             CoverageMode mode, const PreparedIndex& prepared) const;
};

// Zones of several layers prepared for one raster: from the cache when valid, else read and
// indexed (and stored).
PreparedIndex prepare_zones_cached(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                   CoverageMode mode, const CoverageCache& cache);

}  // namespace nl
