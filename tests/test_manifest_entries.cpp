// The manifest written and read entry by entry (io/manifest, RecordText): checked against
// yaml-cpp itself, the whole document emitted in one go and read in one go, as it was done before
// the entries were kept (the reference here is that code, independent of the entry-wise path).
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "pipeline/io/manifest.hpp"
#include "pipeline/io/output_file.hpp"
#include "test_support.hpp"

using namespace nl;
using nl::testsupport::temp_dir;

namespace {

// ---- the reference: yaml-cpp's whole document ----
void emit_stamps(YAML::Emitter& out, const char* key, const std::vector<FileStamp>& stamps) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& in : stamps)
    out << YAML::BeginMap << YAML::Key << "path" << YAML::Value << in.path << YAML::Key << "size" << YAML::Value
        << in.size << YAML::Key << "mtime_ns" << YAML::Value << in.mtime_ns << YAML::Key << "sha256" << YAML::Value
        << in.sha256 << YAML::EndMap;
  out << YAML::EndSeq;
}

std::string whole_document(const Manifest& m) {
  YAML::Emitter out;
  out << YAML::Comment("panel/ holds the releases in state done and the failed ones with last_good (their earlier "
                       "tables, kept)");
  out << YAML::BeginMap << YAML::Key << "tool" << YAML::Value << std::string("nightlights ") + NIGHTLIGHTS_VERSION;
  out << YAML::Key << "units" << YAML::Value << m.units;
  if (m.has_grid) {
    out << YAML::Key << "grid" << YAML::Value << YAML::BeginMap << YAML::Key << "description" << YAML::Value << m.grid;
    out << YAML::Key << "values" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (double v : m.grid_values) out << YAML::Precision(17) << v;
    out << YAML::EndSeq << YAML::EndMap;
  }
  emit_stamps(out, "zone_inputs", m.zone_inputs);
  out << YAML::Key << "releases" << YAML::Value << YAML::BeginMap;
  for (const auto& [id, r] : m.releases) {
    out << YAML::Key << id << YAML::Value << YAML::BeginMap << YAML::Key << "state" << YAML::Value << r.state;
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
      out << YAML::Key << "last_good" << YAML::Value << YAML::BeginMap << YAML::Key << "finished" << YAML::Value
          << r.last_good->finished << YAML::Key << "settings" << YAML::Value << r.last_good->settings;
      emit_stamps(out, "inputs", r.last_good->inputs);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<FileStamp> yaml_stamps(const YAML::Node& list) {
  std::vector<FileStamp> stamps;
  for (const auto& in : list)
    stamps.push_back({in["path"].as<std::string>(), in["size"].as<int64_t>(), in["mtime_ns"].as<int64_t>(),
                      in["sha256"].as<std::string>("")});
  return stamps;
}

std::map<std::string, ReleaseRecord> yaml_releases(const std::string& text) {
  std::map<std::string, ReleaseRecord> out;
  for (const auto& kv : YAML::Load(text)["releases"]) {
    ReleaseRecord r;
    const YAML::Node n = kv.second;
    r.state = n["state"].as<std::string>("");
    r.reason = n["reason"].as<std::string>("");
    r.finished = n["finished"].as<std::string>("");
    r.settings = n["settings"].as<std::string>("");
    r.inputs = yaml_stamps(n["inputs"]);
    if (const YAML::Node g = n["last_good"])
      r.last_good = GoodTables{g["finished"].as<std::string>(""), yaml_stamps(g["inputs"]), g["settings"].as<std::string>("")};
    for (const auto& t : n["missing_tiles"]) r.missing_tiles.push_back(t.as<std::string>());
    out[kv.first.as<std::string>()] = r;
  }
  return out;
}

// ---- records of every shape the runs write, and some only a hand or a strange path makes ----
ReleaseRecord record(int k) {
  const std::string sha(64, static_cast<char>('a' + k % 6));
  const FileStamp in{"/data/viirs/month_" + std::to_string(k) + ".tif", 361052 + k, 1795932520658332081LL - k, sha};
  switch (k % 7) {
    case 1: return {"failed", "read error: block 3 of \"x.tif\" # bad", "2026-11-29T06:21:25Z", {in}, "S1", std::nullopt, {}};
    case 2: return {"failed", "gone", "2026-11-29T06:21:25Z", {}, "S1", GoodTables{"2026-01-01T00:00:00Z", {in}, "S0"}, {}};
    case 3: return {"done", "", "2026-11-29T06:21:25Z", {in, {"/q with space/q.tif", 0, 0, ""}}, "S1", std::nullopt, {"75N060E", "00N060W"}};
    case 4: return {"done", "", "t", {{"cube.nc#band=" + std::to_string(k), 0, 0, sha}}, "", std::nullopt, {}};
    case 5: return {"done", "", "2026-11-29T06:21:25Z", {{"null", -1, 0, "~"}, {"été: /x", 7, 8, "yes"}}, "S1", std::nullopt, {}};
    default: return {"done", "", "2026-11-29T06:21:25Z", {in}, "77003f98ec819e1c30ccf38eaa8f589b1c860b916bb2a0302baf666e4db6d54e", std::nullopt, {}};
  }
}

Manifest header() {
  Manifest m;
  m.units = "nW/cm2/sr";
  m.has_grid = true;
  const double g[6] = {73, 54, 1.0 / 12, -1.0 / 12, 756, 540};
  std::copy(g, g + 6, m.grid_values);
  m.grid = "756x540 cells";
  m.zone_inputs.push_back(FileStamp{"/z.gpkg", 10, 20, "ee"});
  return m;
}

std::string id_of(int k) { return std::to_string(1900 + k / 12) + "-" + (k % 12 < 9 ? "0" : "") + std::to_string(k % 12 + 1); }

}  // namespace

TEST_CASE("manifest: saved after each of 60 releases, it is yaml-cpp's whole document, byte for byte") {
  const std::string dir = temp_dir("manifest-entries"), path = dir + "/manifest.yaml";
  Manifest m = header();
  save_manifest(path, m);  // no release yet: the empty map as yaml-cpp writes it
  CHECK(read_whole_file(path).value() == whole_document(m));
  // A daily job: load, add one release, save; every 7th record has another shape (failed with a
  // quoted reason, last_good, missing tiles, a cube band, scalars yaml-cpp must quote).
  for (int k = 0; k < 60; ++k) {
    Manifest now = load_manifest(path);
    now.releases[id_of(k)] = record(k);
    if (k == 30) now.releases[id_of(3)].state = "failed";  // an old entry changes: re-emitted
    if (k == 40) now.releases.erase(id_of(5));             // and one goes
    save_manifest(path, now);
    m = now;
  }
  CHECK(m.releases.size() == 59);  // 60 added, one erased
  CHECK(read_whole_file(path).value() == whole_document(m));
  // Saved again from a fresh load, nothing changed: the same bytes.
  save_manifest(path, load_manifest(path));
  CHECK(read_whole_file(path).value() == whole_document(m));
}

TEST_CASE("manifest: the entry-wise reader reads every record as yaml-cpp reads the whole file") {
  const std::string dir = temp_dir("manifest-reader"), path = dir + "/manifest.yaml";
  Manifest m = header();
  for (int k = 0; k < 40; ++k) m.releases[id_of(k)] = record(k);
  const std::string text = whole_document(m);
  write_file_atomically(path, text);
  const Manifest back = load_manifest(path);
  CHECK(back.releases.size() == 40);
  CHECK(back.releases == yaml_releases(text));
  CHECK(back.releases == m.releases);  // and that is what was written
  CHECK(back.zone_inputs == m.zone_inputs);
  CHECK(back.units == "nW/cm2/sr");
  CHECK(back.grid_values[2] == 1.0 / 12);
}

TEST_CASE("manifest: a hand-edited manifest (flow style, comments) is read by yaml-cpp whole") {
  const std::string dir = temp_dir("manifest-hand"), path = dir + "/manifest.yaml";
  const std::string flow =
      "units: DN\nreleases: {'2008': {state: done, finished: t, inputs: [{path: /a.tif, size: 3, mtime_ns: 4}]}}\n";
  write_file_atomically(path, flow);
  CHECK(load_manifest(path).releases == yaml_releases(flow));
  CHECK(load_manifest(path).releases.at("2008").inputs.at(0).size == 3);
  const std::string commented =
      "units: DN\nreleases:\n  # kept by hand\n  '2009':\n    state: failed  # retry\n    finished: t\n    inputs: []\n";
  write_file_atomically(path, commented);
  CHECK(load_manifest(path).releases == yaml_releases(commented));
  CHECK(load_manifest(path).releases.at("2009").state == "failed");
}
