// Bands of a datacube as releases (see datacube.hpp).
#include "pipeline/io/datacube.hpp"

#include <gdal_priv.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <regex>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/releases.hpp"

namespace nl {

bool cf_time_to_date(const std::string& units, double value, int& year, int& month, int& day) {
  static const std::regex cf(R"(^\s*(days|hours|minutes|seconds)\s+since\s+(\d{4})-(\d{1,2})-(\d{1,2}).*$)");
  std::smatch m;
  if (!std::regex_match(units, m, cf)) return false;
  const double per_day = m[1] == "days" ? 1 : m[1] == "hours" ? 24 : m[1] == "minutes" ? 1440 : 86400;
  using namespace std::chrono;
  const year_month_day epoch{std::chrono::year{std::stoi(m[2])}, std::chrono::month{static_cast<unsigned>(std::stoi(m[3]))},
                             std::chrono::day{static_cast<unsigned>(std::stoi(m[4]))}};
  if (!epoch.ok()) return false;
  const auto days_after = static_cast<long>(std::floor(value / per_day));
  const year_month_day date{sys_days{epoch} + std::chrono::days{days_after}};
  year = static_cast<int>(date.year());
  month = static_cast<int>(static_cast<unsigned>(date.month()));
  day = static_cast<int>(static_cast<unsigned>(date.day()));
  return true;
}

std::string band_input_name(const std::string& path, int band) { return path + "#band=" + std::to_string(band); }

namespace {

std::unique_ptr<GDALDataset> open_cube(const std::string& path) {
  configure_gdal();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw UserError(path + ": cannot open as a raster cube");
  return ds;
}

std::string pixels_sha256(GDALRasterBand* b, const std::string& path, int band) {
  const GDALDataType type = b->GetRasterDataType();
  const int size = GDALGetDataTypeSizeBytes(type);
  const int w = b->GetXSize(), h = b->GetYSize();
  std::vector<unsigned char> row(static_cast<size_t>(w) * static_cast<size_t>(size));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  const std::string shape = std::string(GDALGetDataTypeName(type)) + " " + std::to_string(w) + "x" + std::to_string(h);
  EVP_DigestUpdate(ctx.get(), shape.data(), shape.size());
  for (int y = 0; y < h; ++y) {
    if (b->RasterIO(GF_Read, 0, y, w, 1, row.data(), w, 1, type, 0, 0, nullptr) != CE_None)
      throw UserError(band_input_name(path, band) + ": read error in row " + std::to_string(y));
    EVP_DigestUpdate(ctx.get(), row.data(), row.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  return hex;
}

std::string two_digits(int v) {
  char s[8];
  std::snprintf(s, sizeof s, "%02d", v);
  return s;
}

// The id of band `b` (1-based) from its time, its description, or the explicit list.
std::string band_id(GDALDataset& ds, int b, const std::vector<std::string>& explicit_ids, const std::string& pattern,
                    const std::string& id_format, const std::string& path) {
  if (!explicit_ids.empty()) return explicit_ids[static_cast<size_t>(b - 1)];
  GDALRasterBand* band = ds.GetRasterBand(b);
  const char* t = band->GetMetadataItem("NETCDF_DIM_time");
  const char* units = ds.GetMetadataItem("time#units");
  if (t && units) {
    int y, m, d;
    if (!cf_time_to_date(units, std::atof(t), y, m, d))
      throw UserError(path + ": time units '" + units + "' are not '<days|hours|…> since YYYY-MM-DD'");
    std::string id = id_format.empty() ? "{year}-{month}" : id_format;
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{year}", std::to_string(y)},
                                     {"{month}", two_digits(m)}, {"{day}", two_digits(d)}})
      for (size_t at; (at = id.find(key)) != std::string::npos;) id.replace(at, key.size(), value);
    return id;
  }
  const std::string description = band->GetDescription();
  if (!pattern.empty()) {
    if (const auto id = release_id_from_name(description, pattern, id_format.empty() ? "{year}-{month}" : id_format))
      return *id;
  }
  throw UserError(band_input_name(path, b) + ": no time for this band (no NETCDF_DIM_time with time#units, and its "
                  "description '" + description + "' does not match releases.pattern); give releases.band_ids");
}

}  // namespace

std::string band_sha256(const std::string& path, int band) {
  auto ds = open_cube(path);
  if (band < 1 || band > ds->GetRasterCount()) throw UserError(band_input_name(path, band) + ": no such band");
  return pixels_sha256(ds->GetRasterBand(band), path, band);
}

std::vector<CubeBand> cube_bands(const std::string& path, const std::vector<std::string>& explicit_ids,
                                 const std::string& pattern, const std::string& id_format) {
  auto ds = open_cube(path);
  const int n = ds->GetRasterCount();
  if (!explicit_ids.empty() && static_cast<int>(explicit_ids.size()) != n)
    throw UserError(path + ": releases.band_ids lists " + std::to_string(explicit_ids.size()) + " ids for " +
                    std::to_string(n) + " bands");
  std::vector<CubeBand> bands;
  std::map<std::string, size_t> by_id;
  int duplicates = 0;
  std::string first_duplicate;
  for (int b = 1; b <= n; ++b) {
    CubeBand cb{b, band_id(*ds, b, explicit_ids, pattern, id_format, path), pixels_sha256(ds->GetRasterBand(b), path, b)};
    const auto it = by_id.find(cb.id);
    if (it == by_id.end()) {
      by_id.emplace(cb.id, bands.size());
      bands.push_back(std::move(cb));
      continue;
    }
    const CubeBand& earlier = bands[it->second];
    if (earlier.sha256 != cb.sha256)
      throw UserError(path + ": bands " + std::to_string(earlier.band) + " and " + std::to_string(b) + " both carry " +
                      cb.id + " with different pixels; which is right? Fix the cube or give releases.band_ids");
    if (duplicates++ == 0)
      first_duplicate = "bands " + std::to_string(earlier.band) + " and " + std::to_string(b) + " (" + cb.id + ")";
  }
  if (duplicates)
    log_warning(path + ": " + std::to_string(duplicates) + " band(s) repeat an earlier band's time and pixels, e.g. " +
                first_duplicate + "; each time is measured once");
  return bands;
}

}  // namespace nl
