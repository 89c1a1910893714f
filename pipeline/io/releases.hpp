// Finding a batch's releases: expanding globs, reading release ids from file names by a pattern
// with {year}/{month}/{day}/{doy}/{tile} placeholders, grouping tiles of one date into one
// release, and locating each release's quality raster.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"

namespace nl {

// The release id in `file_name` (no directory), or nothing if the name does not match the
// pattern. Throws std::invalid_argument for a malformed pattern or id format.
std::optional<std::string> release_id_from_name(const std::string& file_name, const std::string& pattern,
                                                const std::string& id_format = "");

struct NameMatch {
  std::string id;
  std::string tile;  // the {tile} value, empty without one
};
// The release id (and tile) in `file_name`; {doy} gives the month and day of its year.
std::optional<NameMatch> match_release_name(const std::string& file_name, const std::string& pattern,
                                           const std::string& id_format = "");

// A release-name pattern parsed once, for matching a folder of names: a daily job's thousands of
// files would otherwise parse it once per name.
class ReleaseNamePattern {
 public:
  struct Token;
  // Throws std::invalid_argument for a malformed pattern.
  explicit ReleaseNamePattern(const std::string& pattern);
  ~ReleaseNamePattern();
  ReleaseNamePattern(ReleaseNamePattern&&) noexcept;
  // As match_release_name; throws std::invalid_argument for a malformed id format.
  std::optional<NameMatch> match(const std::string& file_name, const std::string& id_format = "") const;

 private:
  std::vector<Token> tokens_;
};

// The quality raster's path for a release file.
std::string quality_path_for(const std::string& release_path, const QualityConfig& quality);

// A DMSP composite: its satellite-year from NOAA's name, e.g. F162007.v4b_web.stable_lights.avg_vis.tif.
struct SatelliteFile {
  SatelliteYear satellite_year;
  std::string path;
};
// The satellite-year in a NOAA stable-lights file name (any version part: v4b, v4c, v4d, …),
// or nothing when the name is not one.
std::optional<SatelliteYear> dmsp_satellite_year(const std::string& file_name);

struct ReleaseFile {
  std::string id;
  std::string path;
  std::string quality_path;  // empty without a quality section
  std::vector<TileFile> tiles;  // a tiled product's inputs, by tile; `path` is the first
  std::vector<SatelliteFile> satellites;  // a DMSP year's composites, older satellite first; `path` is the first
  int band = 0;                     // a cube's band (releases.band: each); 0: releases.band of `path`
  std::string band_sha256, quality_band_sha256;  // their pixels' identities (the manifest's stamps)
};

// Matching files, sorted by release id (a DMSP product: one release per year, from one or two
// satellites' files; three, or two of one satellite-year, is an error naming them); two files with one id (one id and tile, for a
// pattern with {tile}) is an error unless releases.collection picks one.
std::vector<ReleaseFile> find_releases(const ReleasesConfig& config);

}  // namespace nl
