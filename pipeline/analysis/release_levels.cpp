// The release levels record in CBOR (see release_levels.hpp), written with nlohmann-json.
#include "pipeline/analysis/release_levels.hpp"

#include <nlohmann/json.hpp>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "nightlights release levels";

json level_json(const ReleaseLevels& r, size_t l) {
  const LevelUnits& u = r.levels[l];
  std::vector<double> acc;
  for (const ZoneAccumulator& a : u.acc) pack_accumulator(a, acc);
  return {{"name", u.name},
          {"codes", u.codes},
          {"field_names", u.field_names},
          {"fields", u.fields},
          {"n_units", u.n_units},
          {"from", u.from},
          {"unit_of_from", u.unit_of_from},
          {"accumulators", acc},
          {"regions", r.region_of_level[l]},
          {"gap_brightness", r.brightness_of_level[l]},
          {"saturated_km2", r.saturated_of_level[l]}};
}

void read_level(const json& j, ReleaseLevels& r) {
  LevelUnits& u = r.levels.emplace_back();
  j.at("name").get_to(u.name);
  j.at("codes").get_to(u.codes);
  j.at("field_names").get_to(u.field_names);
  j.at("fields").get_to(u.fields);
  j.at("n_units").get_to(u.n_units);
  j.at("from").get_to(u.from);
  j.at("unit_of_from").get_to(u.unit_of_from);
  const auto flat = j.at("accumulators").get<std::vector<double>>();
  const double* p = flat.data();
  const double* end = p + flat.size();
  while (p < end) u.acc.push_back(unpack_accumulator(p, end));
  r.region_of_level.push_back(j.at("regions").get<std::vector<std::string>>());
  r.brightness_of_level.push_back(j.at("gap_brightness").get<std::vector<double>>());
  r.saturated_of_level.push_back(j.at("saturated_km2").get<std::vector<double>>());
  if (u.acc.size() != u.codes.size() || u.n_units.size() != u.codes.size())
    throw std::runtime_error("level " + u.name + " has " + std::to_string(u.codes.size()) + " codes but " +
                             std::to_string(u.acc.size()) + " accumulators");
}

}  // namespace

std::string encode_release_levels(const ReleaseLevels& r) {
  json j = {{"format", kFormat},
            {"version", kReleaseLevelsVersion},
            {"accumulator_layout", accumulator_layout_signature()},
            {"release", r.release},
            {"reference_brightness", r.reference_brightness},
            {"levels", json::array()}};
  for (size_t l = 0; l < r.levels.size(); ++l) j["levels"].push_back(level_json(r, l));
  const std::vector<uint8_t> bytes = json::to_cbor(j);
  return std::string(bytes.begin(), bytes.end());
}

ReleaseLevels decode_release_levels(const std::string& bytes, const std::string& what) {
  try {
    const json j = json::from_cbor(bytes);
    if (j.at("format") != kFormat) throw std::runtime_error("not a release levels record");
    if (j.at("version") != kReleaseLevelsVersion)
      throw std::runtime_error("version " + j.at("version").dump() + ", this build reads version " +
                               std::to_string(kReleaseLevelsVersion));
    if (j.at("accumulator_layout").get<double>() != accumulator_layout_signature())
      throw std::runtime_error("written with another accumulator layout");
    ReleaseLevels r;
    j.at("release").get_to(r.release);
    j.at("reference_brightness").get_to(r.reference_brightness);
    for (const json& level : j.at("levels")) read_level(level, r);
    return r;
  } catch (const std::exception& e) {
    throw UserError(what + ": unreadable release levels record (" + e.what() + "); run again with --force to rebuild it");
  }
}

std::optional<ReleaseLevels> read_release_levels(const std::string& out, const std::string& id) {
  const std::string path = out + "/releases/" + id + "/" + kReleaseLevelsFile;
  const auto bytes = read_whole_file(path);
  if (!bytes) return std::nullopt;
  return decode_release_levels(*bytes, path);
}

TypedTable level_table(const ReleaseLevels& r, const std::string& name, const std::vector<Statistic>& stats,
                       double min_valid_fraction) {
  for (size_t l = 0; l < r.levels.size(); ++l)
    if (r.levels[l].name == name)
      return level_table(r.release, r.levels[l], stats, min_valid_fraction, r.reference_brightness,
                         r.region_of_level[l], &r.brightness_of_level[l],
                         r.saturated_of_level[l].empty() ? nullptr : &r.saturated_of_level[l]);
  throw UserError("release " + r.release + " has no level '" + name + "' in its record");
}

}  // namespace nl
