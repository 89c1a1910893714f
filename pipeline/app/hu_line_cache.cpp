// The Hu line's work kept between runs (see hu_line_cache.hpp).
#include "pipeline/app/hu_line_cache.hpp"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/io/build_info.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string record_path(const std::string& out) {
  return out + "/panel/.hu_line.json";
}

// "path|layer|datum|size|mtime" of a plain file; nullopt for anything else.
std::optional<std::string> input_identity(const std::string& path, const std::string& layer,
                                          Datum datum, const std::string& assume_crs) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const FileStamp s = stamp_file(path, false);
  return fs::absolute(path).lexically_normal().string() + "|" + layer + "|" + datum_name(datum) +
         "|" + assume_crs + "|" + std::to_string(s.size) + "|" + std::to_string(s.mtime_ns);
}

json stamp_of(const std::string& path) {
  const FileStamp s = stamp_file(path, false);
  return {{"size", s.size}, {"mtime_ns", s.mtime_ns}};
}

}  // namespace

std::string hu_line_cache_key(const HuLineDefinition& line, const CountrySource& country,
                              const ZoneLayerConfig& level_zones) {
  const auto c = input_identity(country.path, country.layer, country.datum, country.assume_crs);
  const auto z = input_identity(level_zones.path, level_zones.layer, level_zones.datum,
                                level_zones.assume_crs);
  if (!c || !z) return "";
  char definition[256];
  std::snprintf(definition, sizeof definition, "%.17g %.17g %.17g %.17g %.17g %.17g", line.ne_lon,
                line.ne_lat, line.sw_lon, line.sw_lat, line.step_km, line.extend_km);
  return std::string("hu-line 1\nbuild ") + git_describe() + "\nline " + definition + " " +
         line.shape + "\ncountry " + *c + "\nzones " + *z + "|" + level_zones.id_field + "\n";
}

std::optional<std::map<std::string, std::string>> stored_hu_line_sides(
    const std::string& out, const std::string& key, const std::string& zones_gpkg) {
  if (key.empty()) return std::nullopt;
  const auto text = read_whole_file(record_path(out));
  if (!text) return std::nullopt;
  try {
    const json j = json::parse(*text);
    std::error_code ec;
    if (j.at("key") != key || !fs::is_regular_file(zones_gpkg, ec) ||
        j.at("zones_gpkg") != stamp_of(zones_gpkg))
      return std::nullopt;
    return j.at("sides").get<std::map<std::string, std::string>>();
  } catch (const std::exception&) {
    return std::nullopt;  // damaged or of another form: the work is done again and the record
                          // rewritten
  }
}

void store_hu_line_sides(const std::string& out, const std::string& key,
                         const std::string& zones_gpkg,
                         const std::map<std::string, std::string>& sides) {
  if (key.empty()) return;
  const json j = {{"key", key}, {"zones_gpkg", stamp_of(zones_gpkg)}, {"sides", sides}};
  make_directories(out + "/panel");
  write_file_atomically(record_path(out), j.dump(1));
}

}  // namespace nl
