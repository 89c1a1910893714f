// Datacubes whose bands are releases (`releases.band: each`): each band's time (NetCDF `time`
// with its units, a {year}-{month} pattern over band descriptions, or an explicit list), its
// identity (a hash of its pixels, so a cube rewritten with one more band redoes only that
// band), and duplicated times (identical pixels: one release, warned; different: an error).
#pragma once
#include <string>
#include <vector>

namespace nl {

struct CubeBand {
  int band = 0;          // 1-based
  std::string id;        // the release id, from the band's time
  std::string sha256;    // of the band's pixels as stored (with its type and size)
};

// "days since 1900-01-01 00:00:00" and 41212 → 2012-11-01 as year, month, day; false when the
// units are not "<days|hours|minutes|seconds> since YYYY-MM-DD…".
bool cf_time_to_date(const std::string& units, double value, int& year, int& month, int& day);

// The bands of `path` as releases. Ids come from `explicit_ids` when given (one per band), else
// from NETCDF_DIM_time and the dataset's time#units, else from `pattern` ({year}, {month},
// {day}) over each band's description; `id_format` as for file names (default {year}-{month}).
// A later band with the time and pixels of an earlier one is dropped with one warning per cube;
// the same time with different pixels throws UserError naming both bands.
std::vector<CubeBand> cube_bands(const std::string& path, const std::vector<std::string>& explicit_ids,
                                 const std::string& pattern, const std::string& id_format);

// SHA-256 of one band's pixels (the quality cube's band identities).
std::string band_sha256(const std::string& path, int band);

// The name a band input carries in stamps and provenance: "FILE#band=N".
std::string band_input_name(const std::string& path, int band);

}  // namespace nl
