// The Hu line's work kept between runs (see hu_line_cache.hpp).
#include "pipeline/app/hu_line_cache.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "pipeline/io/build_info.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

using nlohmann::json;

std::string record_path(const std::string& out) {
  return out + "/panel/.hu_line.json";
}

// A vector source's file identity (plain_file_identity) and how it is read; nullopt when it is
// not a plain file.
std::optional<std::string> input_identity(const std::string& path, const std::string& layer,
                                          Datum datum, const std::string& assume_crs) {
  const auto file = plain_file_identity(path);
  if (!file) return std::nullopt;
  return *file + "|" + layer + "|" + datum_name(datum) + "|" + assume_crs;
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
    const auto gpkg = plain_file_identity(zones_gpkg);
    if (j.at("key") != key || !gpkg || j.at("zones_gpkg") != *gpkg) return std::nullopt;
    return j.at("sides").get<std::map<std::string, std::string>>();
  } catch (const std::exception&) {
    // Damaged or of another form: the work is done again and the record rewritten.
    return std::nullopt;
  }
}

void store_hu_line_sides(const std::string& out, const std::string& key,
                         const std::string& zones_gpkg,
                         const std::map<std::string, std::string>& sides) {
  if (key.empty()) return;
  const json j = {
      {"key", key}, {"zones_gpkg", plain_file_identity(zones_gpkg).value_or("")}, {"sides", sides}};
  keep_for_next_run(record_path(out), j.dump(1), "the Hu line's sides");
}

}  // namespace nl
