// Reading and writing manifest.yaml (atomically), entry by entry: see RecordText in manifest.hpp.
#include "pipeline/io/manifest.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <string_view>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

// ---- yaml-cpp: the whole document, and the entries the quick reader leaves to it ------------

std::vector<FileStamp> read_stamps(const YAML::Node& list) {
  std::vector<FileStamp> stamps;
  for (const auto& in : list)
    stamps.push_back({in["path"].as<std::string>(), in["size"].as<int64_t>(), in["mtime_ns"].as<int64_t>(),
                      in["sha256"].as<std::string>("")});
  return stamps;
}

ReleaseRecord read_record(const YAML::Node& node) {
  ReleaseRecord r;
  r.state = node["state"].as<std::string>("");
  r.reason = node["reason"].as<std::string>("");
  r.finished = node["finished"].as<std::string>("");
  r.settings = node["settings"].as<std::string>("");
  r.inputs = read_stamps(node["inputs"]);
  if (const YAML::Node g = node["last_good"])
    r.last_good = GoodTables{g["finished"].as<std::string>(""), read_stamps(g["inputs"]), g["settings"].as<std::string>("")};
  for (const auto& t : node["missing_tiles"]) r.missing_tiles.push_back(t.as<std::string>());
  return r;
}

// Everything but the releases: units, grid, zone inputs.
void read_header(const YAML::Node& root, Manifest& m) {
  m.units = root["units"].as<std::string>("");
  if (root["grid"]) {
    m.grid = root["grid"]["description"].as<std::string>("");
    const YAML::Node v = root["grid"]["values"];
    for (size_t i = 0; i < 6 && i < v.size(); ++i) m.grid_values[i] = v[i].as<double>();
    m.has_grid = true;
  }
  m.zone_inputs = read_stamps(root["zone_inputs"]);
}

// ---- the quick reader: an entry exactly as yaml-cpp emits one of plain scalars --------------
// Anything else (a quoted reason, missing tiles, last_good, a hand edit) returns false and the
// entry goes to yaml-cpp, so the two readers cannot disagree on what they both accept.

constexpr bool ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// The bytes a plain scalar is made of here: ASCII letters and digits, and _./-+:=#. A table, not
// isalnum and strchr per byte: a long history's manifest has ~250 such bytes per entry.
constexpr std::array<bool, 256> kPlainBytes = [] {
  std::array<bool, 256> plain{};
  for (int c = 0; c < 256; ++c) plain[c] = ascii_alnum(static_cast<unsigned char>(c));
  for (const char c : std::string_view("_./-+:=#")) plain[static_cast<unsigned char>(c)] = true;
  return plain;
}();

// A scalar yaml-cpp reads as this very text: no quoting, no YAML indicator, not a null.
bool plain_text(std::string_view v) {
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL" || v.back() == ':') return false;
  if (!ascii_alnum(static_cast<unsigned char>(v[0])) && v[0] != '/' && v[0] != '_' && v[0] != '.') return false;
  for (const char c : v)
    if (!kPlainBytes[static_cast<unsigned char>(c)]) return false;
  return true;
}

bool plain_int(std::string_view v, int64_t& out) {
  const size_t digits = v.size() - (!v.empty() && v[0] == '-');
  if (digits == 0 || (digits > 1 && v[v.size() - digits] == '0')) return false;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && end == v.data() + v.size();
}

// The next line of `text` from `pos` (without its newline), advancing `pos`.
std::string_view next_line(std::string_view text, size_t& pos) {
  const size_t end = text.find('\n', pos);
  const std::string_view line = text.substr(pos, end == std::string_view::npos ? text.size() - pos : end - pos);
  pos = end == std::string_view::npos ? text.size() : end + 1;
  return line;
}

// "<indent>key: value" → value, or false.
bool key_value(std::string_view line, std::string_view indent_key, std::string_view& value) {
  if (line.substr(0, indent_key.size()) != indent_key || line.substr(indent_key.size(), 2) != ": ") return false;
  value = line.substr(indent_key.size() + 2);
  return true;
}

bool quick_stamp(std::string_view text, size_t& pos, FileStamp& s) {
  std::string_view path, size, mtime, sha;
  if (!key_value(next_line(text, pos), "      - path", path) || !key_value(next_line(text, pos), "        size", size) ||
      !key_value(next_line(text, pos), "        mtime_ns", mtime) ||
      !key_value(next_line(text, pos), "        sha256", sha))
    return false;
  if (!plain_text(path) || !plain_int(size, s.size) || !plain_int(mtime, s.mtime_ns)) return false;
  if (sha != "\"\"" && !plain_text(sha)) return false;
  s.path = path;
  s.sha256 = sha == "\"\"" ? "" : std::string(sha);
  return true;
}

bool quick_record(std::string_view text, std::string& id, ReleaseRecord& r) {
  size_t pos = 0;
  const std::string_view head = next_line(text, pos);
  if (head.size() < 4 || head.substr(0, 2) != "  " || head.back() != ':') return false;
  const std::string_view key = head.substr(2, head.size() - 3);
  if (!plain_text(key)) return false;
  id = key;
  const std::pair<const char*, std::string*> fields[] = {
      {"    state", &r.state}, {"    reason", &r.reason}, {"    finished", &r.finished}, {"    settings", &r.settings}};
  while (pos < text.size()) {
    const std::string_view line = next_line(text, pos);
    if (line == "    inputs: []") continue;
    if (line == "    inputs:") {
      while (pos < text.size() && text.substr(pos, 8) == "      - ")
        if (!quick_stamp(text, pos, r.inputs.emplace_back())) return false;
      continue;
    }
    bool known = false;
    for (const auto& [name, field] : fields) {
      std::string_view value;
      if (!key_value(line, name, value)) continue;
      if (!plain_text(value)) return false;
      *field = value;
      known = true;
    }
    if (!known) return false;
  }
  return true;
}

// ---- loading ----------------------------------------------------------------------------------

struct NotInEntries {};  // the releases are not in yaml-cpp's block layout: read the whole file

// The entries under `releases:` (from `start` in `file`) one by one: each starts at a line
// indented by two spaces. In id order, as saved: each goes in at the maps' ends.
void read_entries(const std::shared_ptr<const std::string>& file, size_t start, Manifest& m) {
  const std::string_view text = *file;
  while (start < text.size()) {
    if (text.size() < start + 3 || text.substr(start, 2) != "  " || text[start + 2] == ' ' || text[start + 2] == '-')
      throw NotInEntries{};
    size_t end = start;
    do {
      const size_t nl = text.find('\n', end);
      end = nl == std::string_view::npos ? text.size() : nl + 1;
    } while (end < text.size() && text.substr(end, 4) == "    ");
    const std::string_view entry = text.substr(start, end - start);
    std::string id;
    ReleaseRecord r;
    if (!quick_record(entry, id, r)) {
      const YAML::Node node = YAML::Load(std::string(entry));
      if (!node.IsMap() || node.size() != 1) throw NotInEntries{};
      id = node.begin()->first.as<std::string>();
      r = read_record(node.begin()->second);
    }
    m.texts.insert_or_assign(m.texts.end(), id, RecordText{r, "", file, start, end - start});
    m.releases.insert_or_assign(m.releases.end(), std::move(id), std::move(r));
    start = end;
  }
}

Manifest read_manifest(const std::shared_ptr<const std::string>& file) {
  Manifest m;
  const std::string& text = *file;
  const size_t at = text.rfind("\nreleases:\n");
  if (at != std::string::npos) {
    try {
      read_header(YAML::Load(text.substr(0, at + 1)), m);
      read_entries(file, at + 11, m);
      return m;
    } catch (const NotInEntries&) {
      m = Manifest{};
    }
  }
  const YAML::Node root = YAML::Load(text);
  read_header(root, m);
  for (const auto& kv : root["releases"]) m.releases[kv.first.as<std::string>()] = read_record(kv.second);
  return m;
}

}  // namespace

Manifest load_manifest(const std::string& path) {
  if (!std::filesystem::exists(path)) return Manifest{};
  std::optional<std::string> read = read_whole_file(path);
  if (!read) throw UserError(path + ": cannot read the manifest");
  const auto text = std::make_shared<const std::string>(std::move(*read));
  try {
    Manifest m = read_manifest(text);
    if (!m.texts.empty() && m.texts.size() == m.releases.size()) {  // read entry by entry
      m.saved_header = text->substr(0, text->rfind("\nreleases:\n") + 11);
      m.saved_path = path;
    }
    return m;
  } catch (const YAML::Exception& e) {
    throw UserError(path + ": the manifest is damaged (" + e.msg +
                    "); move it away to rebuild every release, or restore it from a backup");
  }
}

// ---- writing ----------------------------------------------------------------------------------

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

// One release's entry, indented under `releases:` as a whole-document emitter would place it.
std::string record_yaml(const std::string& id, const ReleaseRecord& r) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << id << YAML::Value << YAML::BeginMap;
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
  out << YAML::EndMap << YAML::EndMap;
  std::string text = "  ";
  for (const char* c = out.c_str(); *c; ++c) {
    text += *c;
    if (*c == '\n') text += "  ";
  }
  return text + "\n";
}

}  // namespace

namespace {

// The text before the entries ("...\nreleases:\n"); with no release, the whole document.
std::string header_yaml(const Manifest& m) {
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
  if (m.releases.empty()) {
    out << YAML::Key << "releases" << YAML::Value << YAML::BeginMap << YAML::EndMap << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\nreleases:\n";
}

// Brings the kept texts up to the records, in place (entries of releases gone dropped, changed
// ones emitted again): at thousands of releases a new map would allocate and move every entry.
// Whether any entry's text changed. Both maps are in id order: one walk through them side by
// side, without a lookup per release (a daily run saves twice, with thousands of entries).
bool update_texts(const Manifest& m) {
  bool changed = false;
  auto text = m.texts.begin();
  for (const auto& [id, r] : m.releases) {
    while (text != m.texts.end() && text->first < id) {  // its release is gone
      text = m.texts.erase(text);
      changed = true;
    }
    if (text != m.texts.end() && text->first == id) {
      if (!(text->second.record == r)) {
        text->second = RecordText{r, record_yaml(id, r), nullptr, 0, 0};
        changed = true;
      }
      ++text;
    } else {
      m.texts.emplace_hint(text, id, RecordText{r, record_yaml(id, r), nullptr, 0, 0});
      changed = true;
    }
  }
  if (text != m.texts.end()) {
    m.texts.erase(text, m.texts.end());
    changed = true;
  }
  return changed;
}

}  // namespace

std::string manifest_yaml(const Manifest& m) {
  std::string text = header_yaml(m);
  if (update_texts(m)) m.saved_path.clear();  // the texts run ahead of the file now
  if (m.releases.empty()) {
    m.texts.clear();
    return text;
  }
  for (const auto& [id, t] : m.texts) text += t.yaml();
  return text;  // ends with the last entry's newline, as a whole document's emission + "\n"
}

void save_manifest(const std::string& path, const Manifest& m) {
  const std::string header = header_yaml(m);
  const bool entries_changed = update_texts(m);
  if (!m.releases.empty() && !entries_changed && path == m.saved_path && header == m.saved_header)
    return;  // the file holds these bytes already
  // Written entry by entry, not built as one string: a long history's manifest is ~350 KB, and
  // each fresh buffer of that size costs a run its page faults.
  AtomicOutput out(path);
  out.write(header);
  if (m.releases.empty()) m.texts.clear();
  for (const auto& [id, t] : m.texts) out.write(t.yaml());
  out.commit();
  m.saved_header = header;
  m.saved_path = path;
}

}  // namespace nl
