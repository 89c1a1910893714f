// A tiled release opened as one mosaic for the batch run (see tiled_release.hpp).
#include "pipeline/app/tiled_release.hpp"

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/eog_tiles.hpp"

namespace nl {

void open_tiled_release(const RunConfig& config, const ReleaseFile& release, NeededTiles& needed, TileMosaic& mosaic) {
  const TileLattice lattice = release.tiles.front().tile.lattice;
  auto& known = lattice == TileLattice::eog ? needed.eog : needed.black_marble;
  if (!known) {
    std::vector<ZoneExtentSource> sources;
    // GCJ-02 coordinates move by up to ~0.007° when the datum is undone: pad the envelopes.
    for (const auto& z : config.zones)
      sources.push_back({z.path, z.layer, z.assume_crs, z.datum == Datum::gcj02 ? 0.01 : 0.0});
    known = tiles_needed_by_zones(sources, lattice);
  }
  if (lattice == TileLattice::eog)
    build_eog_mosaic(release.tiles, *known, config.releases.quality ? config.releases.quality->min_count : 1,
                     release.id, mosaic);
  else
    build_black_marble_mosaic(release.tiles, *known, config.releases.black_marble, release.id, mosaic);
  if (!mosaic.missing.empty() && config.releases.black_marble.fail_on_missing)
    throw UserError("release " + release.id + ": " + std::to_string(mosaic.missing.size()) + " of " +
                    std::to_string(mosaic.needed) + " tiles missing (" + tile_names(mosaic.missing) +
                    ") and releases.missing_tiles is 'fail'");
}

std::vector<std::pair<std::string, std::string>> tiled_release_inputs(const ReleaseFile& release) {
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const TileFile& t : release.tiles) {
    inputs.emplace_back("tile " + t.tile.name(), t.path);
    if (!t.quality_path.empty()) inputs.emplace_back("quality " + t.tile.name(), t.quality_path);
  }
  return inputs;
}

std::string tile_names(const std::vector<TileId>& tiles) {
  std::string out;
  for (size_t i = 0; i < tiles.size(); ++i) out += (i ? ", " : "") + tiles[i].name();
  return out;
}

}  // namespace nl
