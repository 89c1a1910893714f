// provenance.json (see provenance.hpp).
#include "pipeline/io/provenance.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/io/build_info.hpp"

namespace nl {

namespace {

nlohmann::ordered_json input_json(const ProvenanceInput& in) {
  nlohmann::ordered_json j;
  j["role"] = in.role;
  j["path"] = std::filesystem::absolute(in.stamp.path).string();
  j["size"] = in.stamp.size;
  j["mtime_ns"] = in.stamp.mtime_ns;
  j["sha256"] = in.stamp.sha256;
  return j;
}

}  // namespace

std::string provenance_json(const Provenance& p) {
  nlohmann::ordered_json j;
  j["tool"] = "nightlights";
  j["version"] = NIGHTLIGHTS_VERSION;
  j["git_describe"] = git_describe();
  j["release"] = p.release;
  j["action"] = p.action;
  if (!p.previous_sha256.empty()) j["reprocessed_previous_sha256"] = p.previous_sha256;
  j["finished"] = utc_now();
  j["config_path"] = std::filesystem::absolute(p.config_path).string();
  j["config"] = p.config_text;
  j["units"] = p.units;
  j["grid"] = p.grid;
  j["coverage"] = p.coverage;
  j["inputs"] = nlohmann::ordered_json::array();
  for (const auto& in : p.inputs) j["inputs"].push_back(input_json(in));
  j["zones_repaired"] = p.zones_repaired;
  j["timings_s"] = nlohmann::ordered_json::object();
  for (const auto& [name, seconds] : p.timings_s) j["timings_s"][name] = seconds;
  j["cells_read"] = p.cells_read;
  j["negative_cells"] = p.negative_cells;
  if (p.tiles_needed) {
    j["tiles_needed"] = *p.tiles_needed;
    j["tiles_missing"] = p.tiles_missing;
  }
  if (!p.dmsp_json.empty()) j["dmsp"] = nlohmann::ordered_json::parse(p.dmsp_json);
  if (p.measured_on_rank) j["measured_on_rank"] = *p.measured_on_rank;
  return j.dump(2) + "\n";
}

}  // namespace nl
