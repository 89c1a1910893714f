// The on-disk coverage index cache: zones prepared for one grid (ids, carried fields, and every
// window's coverage runs) so that the next release on the same grid only decodes and
// accumulates. Keyed by the grid, the zone sources and the coverage mode; checksummed and
// validated on load (a bad entry is rebuilt); written atomically so concurrent jobs cannot
// corrupt it; kept under a size limit by evicting the least recently used entries.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/raster_source.hpp"
#include "pipeline/engine/zonal_engine.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

struct PreparedIndex {
  std::vector<ZoneSet> layers;  // ids and fields only (rings are not kept)
  CoverageIndex index;          // over all layers' zones, layer after layer
};

struct CoverageCache {
  std::string directory;  // empty: caching off
  bool writable = true;   // false on MPI ranks other than 0: they read, never write

  // The cached index for these inputs, or nothing (absent, stale or damaged: never a wrong one).
  std::optional<PreparedIndex> load(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                    const WindowLayout& layout, CoverageMode mode) const;
  // Before use (writable caches only): removes temporaries that killed jobs left behind and
  // evicts least recently used entries over the limit, sparing the one these inputs would use.
  void tidy(const std::vector<ZoneSource>& sources, const RasterInfo& raster, const WindowLayout& layout,
            CoverageMode mode) const;
  // Best effort: a cache that cannot be written is a warning, not an error. Afterwards the
  // folder is brought under cache_max_bytes() by evicting the least recently used entries.
  void store(const std::vector<ZoneSource>& sources, const RasterInfo& raster, const WindowLayout& layout,
             CoverageMode mode, const PreparedIndex& prepared) const;
};

// The cache's size limit (engine_limits(); NIGHTLIGHTS_CACHE_MAX_MB, default 4096 MB).
uint64_t cache_max_bytes();

// One cache file, for `nightlights cache list`.
struct CacheEntry {
  std::string path;
  uint64_t bytes = 0;
  int64_t last_used = 0;    // mtime (Unix seconds): set on every use
  std::string description;  // grid, coverage mode and zone sources, from the header
};
// The entries in `directory`, least recently used first; `describe` reads each one's header.
std::vector<CacheEntry> list_cache(const std::string& directory, bool describe = true);
// Removes every entry (and stale temporaries, never a live job's); returns the entries removed.
std::vector<CacheEntry> clear_cache(const std::string& directory);
// Removes least recently used entries until the folder's entries total at most `max_bytes`;
// `keep` (an entry just written or about to be read) is removed last, only if alone too large.
void evict_least_recently_used(const std::string& directory, uint64_t max_bytes, const std::string& keep);

// Zones of several layers prepared for one raster: from the cache when valid, else read and
// indexed (and stored).
PreparedIndex prepare_zones_cached(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                   CoverageMode mode, const CoverageCache& cache);

}  // namespace nl
