// Reading and writing manifest.yaml (atomically).
#include "pipeline/io/manifest.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {
std::vector<FileStamp> read_stamps(const YAML::Node& list) {
  std::vector<FileStamp> stamps;
  for (const auto& in : list)
    stamps.push_back({in["path"].as<std::string>(), in["size"].as<int64_t>(), in["mtime_ns"].as<int64_t>(),
                      in["sha256"].as<std::string>("")});
  return stamps;
}
}  // namespace

Manifest load_manifest(const std::string& path) {
  Manifest m;
  if (!std::filesystem::exists(path)) return m;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    m.units = root["units"].as<std::string>("");
    if (root["grid"]) {
      m.grid = root["grid"]["description"].as<std::string>("");
      const YAML::Node v = root["grid"]["values"];
      for (size_t i = 0; i < 6 && i < v.size(); ++i) m.grid_values[i] = v[i].as<double>();
      m.has_grid = true;
    }
    m.zone_inputs = read_stamps(root["zone_inputs"]);
    for (const auto& kv : root["releases"]) {
      ReleaseRecord r;
      r.state = kv.second["state"].as<std::string>("");
      r.reason = kv.second["reason"].as<std::string>("");
      r.finished = kv.second["finished"].as<std::string>("");
      r.settings = kv.second["settings"].as<std::string>("");
      r.inputs = read_stamps(kv.second["inputs"]);
      if (const YAML::Node g = kv.second["last_good"])
        r.last_good = GoodTables{g["finished"].as<std::string>(""), read_stamps(g["inputs"]),
                                 g["settings"].as<std::string>("")};
      for (const auto& t : kv.second["missing_tiles"]) r.missing_tiles.push_back(t.as<std::string>());
      m.releases[kv.first.as<std::string>()] = r;
    }
  } catch (const YAML::Exception& e) {
    throw UserError(path + ": the manifest is damaged (" + e.msg +
                    "); move it away to rebuild every release, or restore it from a backup");
  }
  return m;
}

namespace {
void emit_stamps(YAML::Emitter& out, const char* key, const std::vector<FileStamp>& stamps) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& in : stamps) {
    out << YAML::BeginMap << YAML::Key << "path" << YAML::Value << in.path << YAML::Key << "size" << YAML::Value
        << in.size << YAML::Key << "mtime_ns" << YAML::Value << in.mtime_ns << YAML::Key << "sha256" << YAML::Value
        << in.sha256 << YAML::EndMap;
  }
  out << YAML::EndSeq;
}
}  // namespace

void save_manifest(const std::string& path, const Manifest& m) {
  YAML::Emitter out;
  out << YAML::Comment("panel/ holds the releases in state done and the failed ones with last_good (their earlier "
                       "tables, kept)");
  out << YAML::BeginMap;
  out << YAML::Key << "tool" << YAML::Value << std::string("nightlights ") + NIGHTLIGHTS_VERSION;
  out << YAML::Key << "units" << YAML::Value << m.units;
  if (m.has_grid) {
    out << YAML::Key << "grid" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "description" << YAML::Value << m.grid;
    out << YAML::Key << "values" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (double v : m.grid_values) out << YAML::Precision(17) << v;
    out << YAML::EndSeq << YAML::EndMap;
  }
  emit_stamps(out, "zone_inputs", m.zone_inputs);
  out << YAML::Key << "releases" << YAML::Value << YAML::BeginMap;
  for (const auto& [id, r] : m.releases) {
    out << YAML::Key << id << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "state" << YAML::Value << r.state;
    if (!r.reason.empty()) out << YAML::Key << "reason" << YAML::Value << r.reason;
    out << YAML::Key << "finished" << YAML::Value << r.finished;
    if (!r.settings.empty()) out << YAML::Key << "settings" << YAML::Value << r.settings;
    emit_stamps(out, "inputs", r.inputs);
    if (!r.missing_tiles.empty()) {
      out << YAML::Key << "missing_tiles" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& t : r.missing_tiles) out << t;
      out << YAML::EndSeq;
    }
    if (r.last_good) {
      out << YAML::Key << "last_good" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "finished" << YAML::Value << r.last_good->finished;
      out << YAML::Key << "settings" << YAML::Value << r.last_good->settings;
      emit_stamps(out, "inputs", r.last_good->inputs);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  write_file_atomically(path, std::string(out.c_str()) + "\n");
}

}  // namespace nl
