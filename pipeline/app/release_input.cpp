// Opening one release for measuring (see release_input.hpp).
#include "pipeline/app/release_input.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "pipeline/app/release_plan.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/eog_tiles.hpp"

namespace nl {

namespace fs = std::filesystem;

std::string tile_names(const std::vector<TileId>& tiles) {
  std::string out;
  for (size_t i = 0; i < tiles.size(); ++i) out += (i ? ", " : "") + tiles[i].name();
  return out;
}

std::vector<TileId> tiles_needed_by_zones(const RunConfig& config) {
  std::vector<ZoneExtentSource> sources;
  for (const auto& z : config.zones)
    sources.push_back({z.path, z.layer, z.assume_crs, z.datum == Datum::gcj02 ? 0.01 : 0.0});
  // One lattice per configuration: Black Marble's for its product, else EOG's six tiles.
  return tiles_needed_by_zones(sources, config.releases.black_marble.enabled ? TileLattice::black_marble : TileLattice::eog);
}

void remember_panel_grid(Manifest& manifest, const GridGeometry& g) {
  const double v[6] = {g.origin_x, g.origin_y, g.cell_width, g.cell_height, static_cast<double>(g.width),
                       static_cast<double>(g.height)};
  std::copy(v, v + 6, manifest.grid_values);
  manifest.grid = g.describe();
  manifest.has_grid = true;
}

void check_panel_grid(const ReleaseFile& release, const RasterInfo& raster, const Manifest& manifest) {
  if (!manifest.has_grid) return;
  const double* g = manifest.grid_values;
  const GridGeometry panel{g[0], g[1], g[2], g[3], static_cast<int64_t>(g[4]), static_cast<int64_t>(g[5])};
  if (!panel.same_grid(raster.grid))
    throw UserError(release.path + ": grid " + raster.grid.describe() + " differs from the panel's (" +
                    panel.describe() + "); a panel never mixes grids — resample it, or use another output directory");
}

namespace {

// A tiled release as one mosaic on the lattice of the tiles the zones need.
std::unique_ptr<TileMosaic> open_tiles(const ReleaseFile& release, const RunConfig& config,
                                              const std::vector<TileId>& needed) {
  auto mosaic = std::make_unique<TileMosaic>();
  if (config.releases.black_marble.enabled)
    build_black_marble_mosaic(release.tiles, needed, config.releases.black_marble, release.id, *mosaic);
  else
    build_eog_mosaic(release.tiles, needed, config.releases.quality ? config.releases.quality->min_count : 1, release.id,
                     *mosaic);
  if (!mosaic->missing.empty() && config.releases.black_marble.fail_on_missing)
    throw UserError("release " + release.id + ": " + std::to_string(mosaic->missing.size()) + " of " +
                    std::to_string(mosaic->needed) + " tiles missing (" + tile_names(mosaic->missing) +
                    ") and releases.missing_tiles is 'fail'");
  return mosaic;
}

std::optional<QualityMask> quality_mask(const ReleaseFile& release, const RunConfig& config,
                                        const ReleaseInput& input) {
  if (input.mosaic && !input.mosaic->quality_vrt.empty()) {
    RasterInfo q = inspect_raster(input.mosaic->quality_vrt, 1, "");
    q.parts = input.mosaic->quality_parts;  // read errors name the tile's file
    return QualityMask{q, input.mosaic->quality_min_count};
  }
  if (release.quality_path.empty()) return std::nullopt;
  RasterInfo q = inspect_raster(release.quality_path, release.band > 0 ? release.band : 1, config.releases.assume_crs);
  if (!q.grid.same_grid(input.raster.grid))
    throw UserError(release.quality_path + ": quality raster grid " + q.grid.describe() +
                    " differs from its release's (" + input.raster.grid.describe() + ")");
  return QualityMask{q, config.releases.quality->min_count};
}

}  // namespace

ReleaseInput open_release_input(const ReleaseFile& release, const RunConfig& config, const Manifest& manifest,
                                const std::vector<TileId>& needed_tiles) {
  ReleaseInput in;
  if (!release.quality_path.empty() && !fs::exists(release.quality_path))
    throw UserError(release.quality_path + ": quality raster of release " + release.id + " not found");
  in.stamps = release_stamps(release, false);
  for (const auto& s : in.stamps)  // unreadable: the same error as hashing it here would give
    if (s.sha256.empty())
      if (std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(s.path.c_str(), "rb"), &std::fclose); !f)
        throw UserError(s.path + ": cannot read (" + std::strerror(errno) + ")");
  if (!release.tiles.empty()) in.mosaic = open_tiles(release, config, needed_tiles);
  if (!release.satellites.empty()) {
    const auto table = dmsp_table(config);
    in.dmsp = open_dmsp_release(release, config, table.get());
    in.raster = in.dmsp->inputs.front().raster;
  } else {
    in.raster = in.mosaic ? inspect_raster(in.mosaic->radiance_vrt, 1, "")
                          : inspect_raster(release.path, release.band > 0 ? release.band : config.releases.band,
                                           config.releases.assume_crs);
    if (in.mosaic) in.raster.parts = in.mosaic->radiance_parts;  // read errors name the tile's file
  }
  check_panel_grid(release, in.raster, manifest);
  in.quality = quality_mask(release, config, in);
  return in;
}

void hash_stamps(std::vector<FileStamp>& stamps) {
  for (auto& s : stamps)
    if (s.sha256.empty()) s.sha256 = sha256_file(s.path);
}

std::future<std::vector<FileStamp>> hashed_beside(std::vector<FileStamp> stamps) {
  return std::async(std::launch::async, [stamps = std::move(stamps)]() mutable {
    hash_stamps(stamps);
    return stamps;
  });
}

ZonalOptions zonal_options(const RunConfig& config, const ReleaseInput& input, int threads) {
  const RasterInfo& raster = input.raster;
  ZonalOptions zo;
  zo.threads = threads;
  zo.lit_threshold = config.lit_threshold;
  zo.needs = accumulator_needs(config.stats);
  zo.preprocess = config.preprocess;
  zo.preprocess.nodata =
      config.nodata_override ? nodata_in_raster_type(raster, *config.preprocess.nodata) : raster.nodata;
  if (config.preprocess.scale == 1.0 && config.preprocess.offset == 0.0) {
    zo.preprocess.scale = raster.scale;
    zo.preprocess.offset = raster.offset;
  }
  zo.quality = input.quality;
  if (input.dmsp) use_dmsp_values(*input.dmsp, zo);
  return zo;
}

}  // namespace nl
