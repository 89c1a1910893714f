// The maps' inputs kept beside them, and the report's redrawing of them (see stored_maps.hpp).
#include "pipeline/pictures/stored_maps.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
constexpr const char* kFormat = "nightlights map inputs";
constexpr int kVersion = 1;
}  // namespace

std::string encode_map_inputs(const ReleaseMapInputs& in, const std::map<std::string, double>& population) {
  std::vector<double> lon, lat;
  for (const auto& [x, y] : in.hu_line_lonlat) lon.push_back(x), lat.push_back(y);
  const json j = {{"format", kFormat},
                  {"version", kVersion},
                  {"release", in.release},
                  {"product", in.product},
                  {"units", in.units},
                  {"min_valid_fraction", in.min_valid_fraction},
                  {"reference_name", in.reference_name},
                  {"hu_line_lon", lon},
                  {"hu_line_lat", lat},
                  {"population", population}};
  const std::vector<uint8_t> bytes = json::to_cbor(j);
  return std::string(bytes.begin(), bytes.end());
}

StoredMapInputs decode_map_inputs(const std::string& bytes, const std::string& what) {
  try {
    const json j = json::from_cbor(bytes);
    if (j.at("format") != kFormat || j.at("version") != kVersion) throw std::runtime_error("another format or version");
    StoredMapInputs s;
    j.at("release").get_to(s.in.release);
    j.at("product").get_to(s.in.product);
    j.at("units").get_to(s.in.units);
    j.at("min_valid_fraction").get_to(s.in.min_valid_fraction);
    j.at("reference_name").get_to(s.in.reference_name);
    const auto lon = j.at("hu_line_lon").get<std::vector<double>>(), lat = j.at("hu_line_lat").get<std::vector<double>>();
    if (lon.size() != lat.size()) throw std::runtime_error("the Hu line's longitudes and latitudes differ in number");
    for (size_t i = 0; i < lon.size(); ++i) s.in.hu_line_lonlat.emplace_back(lon[i], lat[i]);
    j.at("population").get_to(s.population);
    return s;
  } catch (const std::exception& e) {
    throw UserError(what + ": unreadable map inputs (" + e.what() + "); run again with --force to rebuild them");
  }
}

int redraw_release_maps(const std::string& out, const RunConfig& config) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out + "/releases", ec)) {
    const std::string name = e.path().filename().string();
    if (name[0] != '.' && fs::exists(e.path() / "maps" / kMapInputsFile)) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  RunConfig c = config;  // with each release's population table, as the run had it
  std::unique_ptr<ReleaseMaps> maps;
  for (const std::string& id : ids) {
    const std::string dir = out + "/releases/" + id + "/maps", path = dir + "/" + kMapInputsFile;
    // The one writer into a committed release folder: its own leftovers, should a report be
    // killed mid-write, are swept here (a run does not look into folders it leaves alone).
    remove_stale_temporaries(dir, false);
    StoredMapInputs s = decode_map_inputs(read_whole_file(path).value_or(""), path);
    const auto record = read_release_levels(out, id);
    if (!record) throw UserError(out + "/releases/" + id + ": no levels record to redraw the maps from; run again with --force");
    c.population.by_code = s.population;
    if (!maps)
      maps = std::make_unique<ReleaseMaps>(c, [&](const ZoneLayerConfig& z) { return stored_map_geometry(out, z.name); }, out);
    s.in.levels = &record->levels;
    s.in.gap_brightness = &record->brightness_of_level;
    s.in.reference_brightness = record->reference_brightness;
    maps->draw(dir, s.in);
  }
  return static_cast<int>(ids.size());
}

}  // namespace nl
