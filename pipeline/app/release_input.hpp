// The measuring stage's inputs of one release: its raster (one file, or a tiled release's
// mosaic), its quality mask, their stamps, checked against the panel's grid; and the zonal
// options the configuration asks for on that raster.
#pragma once
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/app/dmsp_release.hpp"
#include "pipeline/engine/zonal_engine.hpp"
#include "pipeline/io/black_marble.hpp"
#include "pipeline/io/config.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/manifest.hpp"
#include "pipeline/io/releases.hpp"

namespace nl {

struct ReleaseInput {
  std::vector<FileStamp> stamps;  // as release_stamps; hashed by hash_stamps, beside the decoding
  std::unique_ptr<TileMosaic> mosaic;  // tiled releases only
  RasterInfo raster;
  std::optional<QualityMask> quality;
  std::optional<DmspRelease> dmsp;  // DMSP years only: the composites and their calibration
};

// What one release's measuring produced, for its tables and provenance.
struct Measurement {
  ReleaseInput input;
  ZonalResult result;
  double zonal_seconds = 0;
  int rank = -1;  // the MPI rank that measured it when whole releases go to ranks, else -1
  std::optional<ZonalResult> saturation;  // DMSP: the saturation pass (raw DN 63 indicator)
};

// The SHA-256 of every stamp without one (a cube band's comes with it): a full read of each file,
// which the run does while the zonal pass decodes the raster rather than before it.
void hash_stamps(std::vector<FileStamp>& stamps);
// hash_stamps on a thread of its own, over a copy of `stamps` (~20 % of a warm zonal pass over
// the same raster, so it is taken beside the pass rather than before it).
std::future<std::vector<FileStamp>> hashed_beside(std::vector<FileStamp> stamps);

// Opens the release (its stamps not yet hashed: hash_stamps); throws UserError when a file is
// missing or unreadable, when tiles are
// missing and releases.missing_tiles is 'fail', or when the grid differs from the panel's.
// `needed_tiles` (tiled releases) is the lattice the zones need.
ReleaseInput open_release_input(const ReleaseFile& release, const RunConfig& config, const Manifest& manifest,
                                const std::vector<TileId>& needed_tiles);

// Threads, lit threshold, preprocessing with the raster's own nodata, scale and offset unless
// the configuration overrides them, and the quality mask.
ZonalOptions zonal_options(const RunConfig& config, const ReleaseInput& input, int threads);

// The tiles of a tiled product's lattice that the configured zones' extents touch.
std::vector<TileId> tiles_needed_by_zones(const RunConfig& config);

// Throws UserError when the release's grid differs from the panel's (once one is recorded).
void check_panel_grid(const ReleaseFile& release, const RasterInfo& raster, const Manifest& manifest);

// The panel's grid, recorded with the first release; every later release must match it.
void remember_panel_grid(Manifest& manifest, const GridGeometry& grid);

// "h29v05, h30v05".
std::string tile_names(const std::vector<TileId>& tiles);

}  // namespace nl
