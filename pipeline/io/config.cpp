// Parsing and checking the YAML run configuration, with line numbers in every error.
#include "pipeline/io/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace fs = std::filesystem;

std::string closest_word(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= c.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] == c[j - 1] ? 0 : 1)});
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_distance) {
      best_distance = prev[c.size()];
      best = c;
    }
  }
  return best;
}

namespace {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    const auto mark = node.Mark();
    const std::string where = mark.line >= 0 ? ":" + std::to_string(mark.line + 1) : "";
    throw UserError(file_ + where + ": " + message);
  }

  void require_map(const YAML::Node& node, const std::string& what) const {
    if (!node.IsMap()) fail(node, "'" + what + "' must be a mapping of keys to values");
  }

  // A key, list item or code as text; a mapping or list where text belongs is our error, not
  // yaml-cpp's exception escaping (`{a: b}: x` is a valid YAML key).
  std::string text_of(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, what + " must be a text value, not a mapping or list");
    return node.as<std::string>();
  }

  // Unknown keys are errors, with the closest known key suggested.
  void check_keys(const YAML::Node& node, const std::string& section, const std::vector<std::string>& known) const {
    require_map(node, section);
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = text_of(kv.first, "a key in " + section);
      // yaml-cpp keeps the first of two equal keys; silently ignoring the second misleads.
      if (!seen.insert(key).second) fail(kv.first, "key '" + key + "' given twice in " + section);
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      const std::string hint = closest_word(key, known);
      fail(kv.first, "unknown key '" + key + "' in " + section +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
  }

  template <typename T>
  T get(const YAML::Node& node, const std::string& key, const char* type_name) const {
    try {
      return node[key].as<T>();
    } catch (const YAML::Exception&) {
      fail(node[key], "'" + key + "' must be " + type_name);
    }
  }
  std::string str(const YAML::Node& n, const std::string& k) const {
    if (!n[k].IsScalar()) fail(n[k], "'" + k + "' must be a text value");
    return get<std::string>(n, k, "a text value");
  }
  double num(const YAML::Node& n, const std::string& k) const { return get<double>(n, k, "a number"); }
  // `.nan` and `.inf` are YAML numbers; as a threshold, floor, cap or scale they would silently
  // make every comparison false.
  double finite(const YAML::Node& n, const std::string& k, const std::string& what) const {
    const double v = num(n, k);
    if (!std::isfinite(v)) fail(n[k], what + " must be a finite number, not " + n[k].as<std::string>());
    return v;
  }
  int integer(const YAML::Node& n, const std::string& k) const { return get<int>(n, k, "a whole number"); }
  bool boolean(const YAML::Node& n, const std::string& k) const { return get<bool>(n, k, "true or false"); }
  std::vector<std::string> list(const YAML::Node& n, const std::string& k) const {
    const YAML::Node v = n[k];
    if (v.IsScalar()) return {v.as<std::string>()};
    if (!v.IsSequence()) fail(v, "'" + k + "' must be a value or a list");
    std::vector<std::string> out;
    for (const auto& item : v) out.push_back(text_of(item, "items of '" + k + "'"));
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// A plain path relative to the config's folder; absolute, virtual (/vsi…) or empty ones kept.
std::string resolve_plain(const std::string& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(base) / p).lexically_normal().string();
}

}  // namespace

// GDAL names that are not file paths are kept as written: URLs (`https://…`, `s3://…`),
// Windows paths (`C:\\…`, `C:/…`) and other drivers' connection strings (`PG:…`, `WFS:…`).
// GDAL's subdataset names `DRIVER:"file"…` and `DRIVER:file:…` of the drivers below get their
// file part resolved; any other path, `data/a:b.tif` included, resolves like a plain one.
std::string resolve_path(const std::string& base, const std::string& p) {
  static const std::set<std::string> file_drivers = {
      "HDF4",          "HDF4_SDS",      "HDF4_EOS",           "HDF5",         "NETCDF",     "GPKG",
      "NITF_IM",       "GTIFF_DIR",     "RASTERLITE",         "PDF",          "ZARR",       "SQLITE",
      "SENTINEL2_L1B", "SENTINEL2_L1C", "SENTINEL2_L1C_TILE", "SENTINEL2_L2A"};
  // Hand-written, not std::regex: the fuzzer feeds long paths, and regex matching recurses.
  size_t n = 0;
  while (n < p.size() && (std::isalnum(static_cast<unsigned char>(p[n])) || p[n] == '_')) ++n;
  if (n == 0 || n == p.size() || p[n] != ':' || !std::isalpha(static_cast<unsigned char>(p[0])))
    return resolve_plain(base, p);
  std::string name = p.substr(0, n), rest = p.substr(n + 1);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::toupper(ch); });
  const bool windows = n == 1 && (rest.rfind('\\', 0) == 0 || rest.rfind('/', 0) == 0);
  if (file_drivers.count(name) && !windows) {
    const std::string driver = p.substr(0, n + 1);
    if (const size_t close = rest.find('"', 1); rest.rfind('"', 0) == 0 && close != std::string::npos)
      return driver + '"' + resolve_plain(base, rest.substr(1, close - 1)) + rest.substr(close);
    if (const size_t colon = rest.find(':'); colon != std::string::npos && rest[0] != '"')
      return driver + resolve_plain(base, rest.substr(0, colon)) + rest.substr(colon);
  }
  // `C:\…`, `https://…`, `PG:dbname=x`, `WFS:http://…`: not a file here, unless one has that name.
  std::error_code ec;  // a name too long for the file system is no file either
  if (windows || !fs::exists(fs::path(base) / p, ec)) return p;
  return resolve_plain(base, p);
}

namespace {

// Files we read ourselves (tables, the Hu line) and the output folder are never GDAL names.
std::string resolve(const std::string& base, const std::string& p) { return resolve_plain(base, p); }

// A lookup file: YAML `regions: {Group: [codes…]}` or a two-column CSV (key,group).
std::map<std::string, std::string> load_lookup(const std::string& path) {
  std::map<std::string, std::string> table;
  if (!fs::exists(path)) throw UserError(path + ": lookup table not found");
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".yaml" || ext == ".yml") {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
      throw UserError(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    Reader r(path);
    r.check_keys(root, "the lookup file", {"regions", "description", "source"});
    const YAML::Node groups = root["regions"];
    r.require_map(groups, "regions");
    for (const auto& kv : groups) {
      const std::string group = r.text_of(kv.first, "a region name");
      if (!kv.second.IsSequence()) r.fail(kv.second, "codes of '" + group + "' must be a list");
      for (const auto& code : kv.second) {
        const std::string c = r.text_of(code, "a code of '" + group + "'");
        if (!table.emplace(c, group).second) r.fail(code, "code " + c + " listed twice");
      }
    }
    return table;
  }
  std::ifstream in(path);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    const auto comma = line.find(',');
    if (comma == std::string::npos) throw UserError(path + ": expected two columns 'key,group' in line '" + line + "'");
    table[line.substr(0, comma)] = line.substr(comma + 1);
  }
  return table;
}

// A table cell read as a positive, finite number (populations and GDP are logged), or nothing.
std::optional<double> positive_number(const std::string& text) {
  size_t used = 0;
  double value = NAN;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !(value > 0) || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A population table: CSV with columns code and population (others ignored), one row per unit.
std::map<std::string, double> load_population(const std::string& path) {
  const auto text = read_whole_file(path);
  if (!text) throw UserError(path + ": a population table not found or unreadable");
  return parse_population_table(*text, path);
}

GdpTable load_gdp(const std::string& path) {
  const auto text = read_whole_file(path);
  if (!text) throw UserError(path + ": a GDP table not found or unreadable");
  return parse_gdp_table(*text, path);
}

}  // namespace

std::map<std::string, double> parse_population_table(const std::string& text, const std::string& path) {
  std::map<std::string, double> table;
  for (const auto& row : parse_csv_table(text, path, "a population table", {"code", "population"}).rows) {
    const std::string& code = row.cells[0];
    const std::string where = path + ":" + std::to_string(row.line) + ": ";
    const auto value = positive_number(row.cells[1]);
    if (!value) throw UserError(where + "population must be a positive number, got '" + row.cells[1] + "'");
    if (!table.emplace(code, *value).second) throw UserError(where + "code " + code + " given twice");
  }
  return table;
}

// A GDP table: CSV with columns code, year and gdp (others ignored), one row per unit and year.
GdpTable parse_gdp_table(const std::string& text, const std::string& path) {
  GdpTable table;
  for (const auto& row : parse_csv_table(text, path, "a GDP table", {"code", "year", "gdp"}).rows) {
    const std::string &code = row.cells[0], &year_text = row.cells[1], &gdp_text = row.cells[2];
    const std::string where = path + ":" + std::to_string(row.line) + ": ";
    int year = 0;
    size_t used = 0;
    try {
      year = std::stoi(year_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != year_text.size()) throw UserError(where + "year must be a whole number, got '" + year_text + "'");
    const auto value = positive_number(gdp_text);
    if (!value) throw UserError(where + "gdp must be positive (logs are taken), got '" + gdp_text + "'");
    if (!table.emplace(std::make_pair(code, year), *value).second)
      throw UserError(where + "code " + code + " and year " + year_text + " given twice");
  }
  return table;
}

namespace {

// A derived level's key must be carried by its finer level: its zone layer's `fields`, or none
// for a derived level; found here, not after a release's raster pass.
// releases.product: black-marble — HDF5 tiles, a layer, quality from a layer of the same file.
void parse_black_marble(const Reader& r, const YAML::Node& rel, ReleasesConfig& c) {
  BlackMarbleConfig& b = c.black_marble;
  if (rel["product"]) {
    const std::string product = r.str(rel, "product");
    if (product == "dmsp-ols") return;  // parse_dmsp
    if (product != "black-marble")
      r.fail(rel["product"], "releases.product must be 'black-marble' or 'dmsp-ols' (leave it out for GeoTIFF-like rasters)");
    b.enabled = true;
  }
  const bool tiled = c.pattern.find("{tile}") != std::string::npos;
  for (const char* key : {"layer", "collection"})
    if (rel[key] && !b.enabled) r.fail(rel[key], std::string("releases.") + key + " needs releases.product: black-marble");
  if (rel["missing_tiles"] && !tiled)
    r.fail(rel["missing_tiles"], "releases.missing_tiles needs tiles: a {tile} in releases.pattern");
  if (rel["missing_tiles"]) {
    const std::string m = r.str(rel, "missing_tiles");
    if (m != "process" && m != "fail") r.fail(rel["missing_tiles"], "releases.missing_tiles must be 'process' or 'fail'");
    b.fail_on_missing = m == "fail";
  }
  // Without a product, {tile} means EOG's six monthly GeoTIFF tiles (pipeline/io/eog_tiles.hpp).
  if (!b.enabled) return;
  if (!tiled)
    r.fail(rel["pattern"], "releases.pattern of a black-marble product must contain {tile}, e.g. \"VNP46A3.A{year}{doy}.{tile}.*.h5\"");
  if (rel["layer"]) b.layer = r.str(rel, "layer");
  if (rel["collection"]) b.collection = r.str(rel, "collection");
  if (const YAML::Node q = rel["quality"]) {
    r.check_keys(q, "releases.quality", {"layer", "keep"});
    if (!q["keep"]) r.fail(q, "releases.quality of a black-marble product needs 'keep', the flag values kept, e.g. [0, 1]");
    b.quality = true;
    if (q["layer"]) b.quality_layer = r.str(q, "layer");
    for (const auto& v : r.list(q, "keep")) {
      char* end = nullptr;
      const long k = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || k < 0 || k > 255) r.fail(q["keep"], "releases.quality.keep: '" + v + "' is not a flag value 0-255");
      b.keep.push_back(static_cast<int>(k));
    }
  }
}

// releases.product: dmsp-ols — satellite and year from NOAA's names, two satellites of a year
// combined; preprocess.intercalibration and its conventions.
void parse_dmsp(const Reader& r, const YAML::Node& rel, const YAML::Node& pre, ReleasesConfig& c) {
  DmspConfig& d = c.dmsp;
  d.enabled = rel["product"] && r.str(rel, "product") == "dmsp-ols";
  if (rel["combine"] && !d.enabled) r.fail(rel["combine"], "releases.combine needs releases.product: dmsp-ols");
  if (rel["combine"]) {
    try {
      d.combine = parse_combine_rule(r.str(rel, "combine"));
    } catch (const std::invalid_argument& e) {
      r.fail(rel["combine"], std::string("releases.combine: ") + e.what());
    }
  }
  if (d.enabled && rel["quality"]) r.fail(rel["quality"], "releases.quality is not supported with releases.product: dmsp-ols");
  if (pre && pre["intercalibration"]) d.intercalibration = r.str(pre, "intercalibration");
  if (d.enabled && !(pre && pre["intercalibration"]))
    r.fail(rel["product"], "releases.product: dmsp-ols needs preprocess.intercalibration: elvidge2014 (raw composites), "
                           "a coefficient table's path, or none (an already harmonized series)");
  if (!d.enabled && d.intercalibration != "none")
    r.fail(pre["intercalibration"], "preprocess.intercalibration needs releases.product: dmsp-ols (satellite and year come "
                                    "from NOAA's file names); an already harmonized series says none");
  if (!pre) return;
  IntercalibrationOptions& o = d.conventions;
  if (pre["zero_stays_zero"]) o.zero_stays_zero = r.boolean(pre, "zero_stays_zero");
  if (const YAML::Node n = pre["no_observation"]) {
    if (n.IsScalar() && n.as<std::string>() == "none") o.no_observation.reset();
    else o.no_observation = r.num(pre, "no_observation");
  }
  if (const YAML::Node range = pre["calibrated_range"]) {
    if (range.IsScalar() && range.as<std::string>() == "none") {
      o.clip_low.reset();
      o.clip_high.reset();
    } else {
      if (!range.IsSequence() || range.size() != 2)
        r.fail(range, "preprocess.calibrated_range must be [low, high] or none");
      // As YAML numbers, not std::stod on the text: "[abc, 2]" is the user's error, not a crash.
      auto bound = [&](size_t i) -> double {
        try {
          return range[i].as<double>();
        } catch (const YAML::Exception&) {
          r.fail(range[i], "preprocess.calibrated_range must be two numbers, [low, high]");
        }
      };
      o.clip_low = bound(0);
      o.clip_high = bound(1);
    }
  }
  for (const char* key : {"zero_stays_zero", "no_observation", "calibrated_range"})
    if (pre[key] && !d.enabled) r.fail(pre[key], std::string("preprocess.") + key + " needs releases.product: dmsp-ols");
}

void check_level_key(const Reader& r, const YAML::Node& n, const RunConfig& c, const LevelConfig& l) {
  if (l.from.empty() || l.key_field == "id") return;
  const auto from = std::find_if(c.levels.begin(), c.levels.end(), [&](const auto& x) { return x.name == l.from; });
  if (!from->zones.empty()) {
    const auto z = std::find_if(c.zones.begin(), c.zones.end(), [&](const auto& x) { return x.name == from->zones; });
    if (std::find(z->fields.begin(), z->fields.end(), l.key_field) != z->fields.end()) return;
    std::string carried;
    for (const auto& f : z->fields) carried += (carried.empty() ? "" : ", ") + f;
    r.fail(n["key"], "level '" + l.name + "': key '" + l.key_field + "' is not a field carried by level '" + l.from +
                         "' (carried: " + (carried.empty() ? "none" : carried) + "); add it to zones." + z->name +
                         ".fields, or use id");
  }
  r.fail(n["key"], "level '" + l.name + "': key '" + l.key_field + "' is not carried by level '" + l.from +
                       "', which is derived and carries only its id; use id or a prefix like id[0:2]");
}

// What the section parsers below share: the reader (for line numbers), the document, the
// configuration being filled, and the level names defined so far.
struct ConfigSections {
  Reader& r;
  const YAML::Node& root;
  RunConfig& config;
  const std::string& path;
  const std::string& base_dir;
  bool read_tables;
  std::set<std::string> level_names;
};

void parse_releases(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  const YAML::Node rel = root["releases"];
  r.check_keys(rel, "releases", {"files", "pattern", "id", "units", "band", "assume_crs", "quality", "product",
                                  "layer", "collection", "missing_tiles", "combine", "band_ids"});
  const bool band_each = rel["band"] && rel["band"].IsScalar() && rel["band"].as<std::string>() == "each";
  const bool dmsp = rel["product"] && rel["product"].IsScalar() && rel["product"].as<std::string>() == "dmsp-ols";
  if (!rel["files"]) r.fail(rel, "releases: 'files' is required (a glob or a list of rasters)");
  for (const auto& f : r.list(rel, "files")) c.releases.files.push_back(resolve_path(base_dir, f));
  if (!rel["pattern"] && !dmsp && !band_each) r.fail(rel, "releases: 'pattern' is required, e.g. \"viirs_{year}_{month}.tif\"");
  if (rel["pattern"]) c.releases.pattern = r.str(rel, "pattern");
  if (rel["pattern"] && c.releases.pattern.find("{year}") == std::string::npos)
    r.fail(rel["pattern"], "releases.pattern must contain {year}");
  if (rel["id"]) c.releases.id_format = r.str(rel, "id");
  c.releases.units = rel["units"] ? r.str(rel, "units") : "";
  if (c.releases.units != "nW/cm2/sr" && c.releases.units != "DN")
    r.fail(rel["units"] ? rel["units"] : rel, "releases.units must be 'nW/cm2/sr' or 'DN'");
  c.releases.band_each = band_each;
  if (rel["band"] && !band_each) c.releases.band = r.integer(rel, "band");
  if (rel["band_ids"] && !band_each) r.fail(rel["band_ids"], "releases.band_ids needs releases.band: each");
  if (rel["band_ids"]) c.releases.band_ids = r.list(rel, "band_ids");
  if (c.releases.band < 1) r.fail(rel["band"], "releases.band must be 1 or more (bands are numbered from 1)");
  if (rel["assume_crs"]) c.releases.assume_crs = r.str(rel, "assume_crs");
  parse_black_marble(r, rel, c.releases);
  parse_dmsp(r, rel, root["preprocess"], c.releases);
  if (rel["quality"] && !c.releases.black_marble.enabled) {
    const YAML::Node q = rel["quality"];
    r.check_keys(q, "releases.quality", {"template", "replace", "min_count"});
    QualityConfig qc;
    if (q["template"]) qc.template_name = r.str(q, "template");
    if (q["replace"]) {
      const auto pair = r.list(q, "replace");
      if (pair.size() != 2) r.fail(q["replace"], "releases.quality.replace must be [from, to]");
      qc.replace_from = pair[0];
      qc.replace_to = pair[1];
    }
    if (qc.template_name.empty() == qc.replace_from.empty())
      r.fail(q, "releases.quality needs exactly one of 'template' or 'replace'");
    if (q["min_count"]) qc.min_count = r.num(q, "min_count");
    c.releases.quality = qc;
  }
}

void parse_preprocess(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  if (const YAML::Node p = root["preprocess"]) {
    r.check_keys(p, "preprocess", {"nodata", "negatives", "floor", "cap", "scale", "offset", "intercalibration",
                                   "zero_stays_zero", "no_observation", "calibrated_range"});
    if (p["nodata"]) {
      c.preprocess.nodata = r.num(p, "nodata");
      c.nodata_override = true;
    }
    if (p["negatives"]) {
      try {
        c.preprocess.negatives = parse_negative_policy(r.str(p, "negatives"));
      } catch (const std::invalid_argument& e) {
        r.fail(p["negatives"], e.what());
      }
    }
    if (p["floor"]) c.preprocess.floor = r.finite(p, "floor", "preprocess.floor");
    if (p["cap"]) c.preprocess.cap = r.finite(p, "cap", "preprocess.cap");
    if (p["scale"]) c.preprocess.scale = r.finite(p, "scale", "preprocess.scale");
    if (p["offset"]) c.preprocess.offset = r.finite(p, "offset", "preprocess.offset");
    // A zero scale turns every pixel into the offset: a constant table, never what was meant.
    if (c.preprocess.scale == 0) r.fail(p["scale"], "preprocess.scale must not be 0");
    if (c.preprocess.floor && c.preprocess.cap && *c.preprocess.floor > *c.preprocess.cap)
      r.fail(p["floor"], "preprocess.floor (" + format_number(*c.preprocess.floor) + ") is above preprocess.cap (" +
                             format_number(*c.preprocess.cap) + ")");
  }
}

void parse_zones(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  const YAML::Node zones = root["zones"];
  r.require_map(zones, "zones");
  std::set<std::string> zone_names;
  for (const auto& kv : zones) {
    ZoneLayerConfig z;
    z.name = r.text_of(kv.first, "a zone layer's name");
    if (!zone_names.insert(z.name).second) r.fail(kv.first, "zone layer '" + z.name + "' given twice in zones");
    const YAML::Node n = kv.second;
    r.check_keys(n, "zones." + z.name, {"path", "layer", "id_field", "fields", "datum", "assume_crs"});
    if (!n["path"] || !n["id_field"]) r.fail(n, "zones." + z.name + " needs 'path' and 'id_field'");
    z.path = resolve_path(base_dir, r.str(n, "path"));
    z.id_field = r.str(n, "id_field");
    if (n["layer"]) z.layer = r.str(n, "layer");
    if (n["fields"]) z.fields = r.list(n, "fields");
    if (n["assume_crs"]) z.assume_crs = r.str(n, "assume_crs");
    if (n["datum"]) {
      try {
        z.datum = parse_datum(r.str(n, "datum"));
      } catch (const std::invalid_argument& e) {
        r.fail(n["datum"], e.what());
      }
    }
    c.zones.push_back(z);
  }
  if (c.zones.empty()) r.fail(zones, "zones: at least one zone layer is needed");
}

void parse_levels(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  const YAML::Node levels = root["levels"];
  if (!levels.IsSequence() || levels.size() == 0)
    r.fail(levels, "levels must be a list, the finest first (e.g. - name: county, zones: counties)");
  for (const auto& n : levels) {
    r.check_keys(n, "a level", {"name", "zones", "from", "key", "suffix", "lookup", "unmatched"});
    LevelConfig l;
    if (!n["name"]) r.fail(n, "every level needs a 'name'");
    l.name = r.str(n, "name");
    if (!std::regex_match(l.name, std::regex("[a-z][a-z0-9_]*")))
      r.fail(n["name"], "level name '" + l.name + "' must be lower-case letters, digits and _");
    if (!level_names.insert(l.name).second) r.fail(n["name"], "level '" + l.name + "' defined twice");
    if (n["zones"]) {
      l.zones = r.str(n, "zones");
      if (std::none_of(c.zones.begin(), c.zones.end(), [&](const auto& z) { return z.name == l.zones; }))
        r.fail(n["zones"], "level '" + l.name + "' names zones '" + l.zones + "', which the zones section does not define");
    }
    if (n["from"]) {
      l.from = r.str(n, "from");
      if (!level_names.count(l.from) || l.from == l.name)
        r.fail(n["from"], "level '" + l.name + "' derives from '" + l.from + "', which is not an earlier level");
      if (!n["key"]) r.fail(n, "level '" + l.name + "' needs a 'key' (a field, a prefix like adcode[0:4], or id)");
      const std::string key = r.str(n, "key");
      std::smatch m;
      if (std::regex_match(key, m, std::regex(R"(([^\[\]]+)\[0:(\d+)\])"))) {
        l.key_field = m[1];
        // from_chars, not stoi: a prefix too long for an int is the user's error, not a crash.
        const std::string digits = m[2];
        const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), l.prefix);
        if (parsed.ec != std::errc())
          r.fail(n["key"], "key '" + key + "': a prefix of " + digits + " characters is beyond any code");
        if (l.prefix <= 0) r.fail(n["key"], "a key prefix must keep at least one character");
      } else if (key.find_first_of("[]") == std::string::npos) {
        l.key_field = key;
      } else {
        r.fail(n["key"], "key '" + key + "' must be a field name or a prefix like adcode[0:4]");
      }
      if (n["suffix"]) l.suffix = r.str(n, "suffix");
      if (n["lookup"]) {
        l.lookup_source = resolve(base_dir, r.str(n, "lookup"));
        if (read_tables) l.lookup = load_lookup(l.lookup_source);
      }
      if (n["unmatched"]) l.unmatched = r.str(n, "unmatched");
    }
    if (l.zones.empty() == l.from.empty())
      r.fail(n, "level '" + l.name + "' needs exactly one of 'zones' (its own layer) or 'from' (a finer level)");
    check_level_key(r, n, c, l);
    c.levels.push_back(l);
  }
  if (!c.levels.front().from.empty()) r.fail(levels[0], "the first level must have its own zones");
}

void parse_statistics(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  if (root["stats"]) {
    for (const auto& s : r.list(root, "stats")) {
      try {
        c.stats.push_back(parse_statistic(s));
      } catch (const std::invalid_argument& e) {
        const std::string hint = closest_word(s, statistic_names());
        r.fail(root["stats"], std::string(e.what()) + (hint.empty() ? "" : " — did you mean '" + hint + "'?"));
      }
    }
    if (c.stats.empty()) r.fail(root["stats"], "stats must name at least one statistic");
  } else {
    c.stats = default_statistics();
  }
  if (root["coverage"]) {
    try {
      c.coverage = parse_coverage_mode(r.str(root, "coverage"));
    } catch (const std::invalid_argument& e) {
      r.fail(root["coverage"], e.what());
    }
  }
  if (root["lit_threshold"]) c.lit_threshold = r.finite(root, "lit_threshold", "lit_threshold");
  if (root["min_valid_fraction"]) {
    c.min_valid_fraction = r.num(root, "min_valid_fraction");
    if (!(c.min_valid_fraction >= 0 && c.min_valid_fraction <= 1))
      r.fail(root["min_valid_fraction"], "min_valid_fraction must be between 0 and 1");
  }
  if (root["threads"]) {
    c.threads = r.integer(root, "threads");
    if (c.threads < 1) r.fail(root["threads"], "'threads' must be at least 1 (leave it out for all cores)");
    // A typo (10000 for 10) would start thousands of threads on a shared node.
    if (c.threads > kMaxThreads)
      r.fail(root["threads"], "'threads' must be at most " + std::to_string(kMaxThreads) + " (leave it out for all cores)");
  }
}

void parse_gaps(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  c.gaps.level = c.levels.front().name;
  if (const YAML::Node g = root["gaps"]) {
    r.check_keys(g, "gaps", {"level", "region_level", "reference", "groups", "west"});
    if (g["level"]) c.gaps.level = r.str(g, "level");
    if (g["region_level"]) c.gaps.region_level = r.str(g, "region_level");
    if (g["reference"]) c.gaps.reference = r.str(g, "reference");
    if (g["groups"]) c.gaps.groups = r.list(g, "groups");
    if (g["west"]) c.gaps.west = r.str(g, "west");
  }
  if (c.gaps.region_level.empty()) c.gaps.region_level = level_names.count("region") ? "region" : "";
  for (const std::string* lv : {&c.gaps.level, &c.gaps.region_level})
    if (!lv->empty() && !level_names.count(*lv))
      throw UserError(path + ": gaps names level '" + *lv + "', which levels does not define");
}

void parse_population(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  if (const YAML::Node p = root["population"]) {
    r.check_keys(p, "population", {"table", "level"});
    if (!p["table"]) r.fail(p, "population.table is required (a CSV with columns code and population)");
    c.population.table = resolve(base_dir, r.str(p, "table"));
    c.population.level = p["level"] ? r.str(p, "level") : c.gaps.level;
    if (!level_names.count(c.population.level))
      r.fail(p, "population.level names level '" + c.population.level + "', which levels does not define");
    if (read_tables) c.population.by_code = load_population(c.population.table);
  }
}

void parse_hu_line_and_inequality(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  if (const YAML::Node h = root["hu_line"]) {
    r.check_keys(h, "hu_line", {"definition", "shape", "country", "level"});
    c.hu_line.enabled = true;
    c.hu_line.definition = resolve(base_dir, h["definition"] ? r.str(h, "definition") : "hu-line.yaml");
    if (h["shape"]) {
      c.hu_line.shape = r.str(h, "shape");
      if (c.hu_line.shape != "geodesic" && c.hu_line.shape != "straight-lonlat")
        r.fail(h["shape"], "hu_line.shape must be geodesic or straight-lonlat");
    }
    if (const YAML::Node k = h["country"]) {
      r.check_keys(k, "hu_line.country", {"path", "layer", "assume_crs", "datum"});
      if (!k["path"]) r.fail(k, "hu_line.country needs a path");
      c.hu_line.country_path = resolve_path(base_dir, r.str(k, "path"));
      if (k["layer"]) c.hu_line.country_layer = r.str(k, "layer");
      if (k["assume_crs"]) c.hu_line.country_assume_crs = r.str(k, "assume_crs");
      if (k["datum"]) {
        try {
          c.hu_line.country_datum = parse_datum(r.str(k, "datum"));
        } catch (const std::invalid_argument& e) {
          r.fail(k["datum"], e.what());
        }
      }
    } else {
      c.hu_line.country_path = c.zones.front().path;
      c.hu_line.country_layer = c.zones.front().layer;
      c.hu_line.country_datum = c.zones.front().datum;
    }
    c.hu_line.level = h["level"] ? r.str(h, "level") : c.levels.front().name;
    if (!level_names.count(c.hu_line.level)) r.fail(h, "hu_line.level names level '" + c.hu_line.level + "', which levels does not define");
  }
  if (const YAML::Node q = root["inequality"]) {
    r.check_keys(q, "inequality", {"levels", "groupings"});
    c.inequality.enabled = true;
    if (q["levels"]) c.inequality.levels = r.list(q, "levels");
    if (q["groupings"]) c.inequality.groupings = r.list(q, "groupings");
  }
  if (c.inequality.enabled) {
    if (c.inequality.levels.empty())
      for (size_t i = 0; i < std::min<size_t>(2, c.levels.size()); ++i) c.inequality.levels.push_back(c.levels[i].name);
    if (c.inequality.groupings.empty()) {
      if (!c.gaps.region_level.empty()) c.inequality.groupings.push_back("region");
      if (c.hu_line.enabled) c.inequality.groupings.push_back("hu_line");
    }
    for (const auto& l : c.inequality.levels)
      if (!level_names.count(l)) r.fail(root["inequality"], "inequality.levels names level '" + l + "', which levels does not define");
    for (const auto& g : c.inequality.groupings) {
      if (g != "region" && g != "hu_line") r.fail(root["inequality"], "inequality.groupings are region and/or hu_line, not '" + g + "'");
      if (g == "region" && c.gaps.region_level.empty()) r.fail(root["inequality"], "grouping 'region' needs a region level (gaps.region_level)");
      if (g == "hu_line" && !c.hu_line.enabled) r.fail(root["inequality"], "grouping 'hu_line' needs a hu_line section");
    }
  }
  if (const YAML::Node v = root["convergence"]) {
    r.check_keys(v, "convergence", {"levels", "region_dummies", "gdp"});
    c.convergence.enabled = true;
    if (v["levels"]) c.convergence.levels = r.list(v, "levels");
    if (v["region_dummies"]) c.convergence.region_dummies = r.boolean(v, "region_dummies");
    if (v["gdp"]) {
      c.convergence.gdp_path = resolve(base_dir, r.str(v, "gdp"));
      if (read_tables && !fs::exists(c.convergence.gdp_path))
        r.fail(v["gdp"], "convergence.gdp: " + c.convergence.gdp_path + " not found");
      // Read with the configuration: a bad table is found before hours of releases, not after.
      if (read_tables) c.convergence.gdp = load_gdp(c.convergence.gdp_path);
    }
    if (c.convergence.levels.empty()) c.convergence.levels.push_back(c.levels.front().name);
    for (const auto& l : c.convergence.levels)
      if (!level_names.count(l)) r.fail(v, "convergence.levels names level '" + l + "', which levels does not define");
    if (c.convergence.region_dummies && c.gaps.region_level.empty()) c.convergence.region_dummies = false;
  }
}

void parse_output(ConfigSections& s) {
  auto& [r, root, c, path, base_dir, read_tables, level_names] = s;  // the sections' shared state
  const YAML::Node out = root["output"];
  r.check_keys(out, "output", {"directory", "geopackage", "bom", "pictures", "maps"});
  if (!out["directory"]) r.fail(out, "output.directory is required");
  // An empty directory would resolve to nothing and the tables would land in `/`.
  if (r.str(out, "directory").find_first_not_of(" \t") == std::string::npos)
    r.fail(out["directory"], "output.directory must not be empty (give a folder, e.g. out/)");
  c.output.directory = resolve(base_dir, r.str(out, "directory"));
  if (out["geopackage"]) {
    c.output.geopackage_levels = r.list(out, "geopackage");
    for (const auto& l : c.output.geopackage_levels)
      if (!level_names.count(l)) r.fail(out["geopackage"], "output.geopackage names level '" + l + "', which levels does not define");
  }
  if (out["bom"]) c.output.bom = r.boolean(out, "bom");
  // `maps` was the switch's first name; old configs keep working, told once to rename it.
  if (out["pictures"] && out["maps"]) r.fail(out["maps"], "output.maps is the old name of output.pictures: give only pictures");
  if (out["pictures"]) c.output.pictures = r.boolean(out, "pictures");
  if (out["maps"]) {
    c.output.pictures = r.boolean(out, "maps");
    log_warning(path + ": output.maps is deprecated; call it output.pictures (same meaning)");
  }
}

RunConfig parse_checked(const std::string& text, const std::string& path, const std::string& base_dir,
                        bool read_tables) {
  Reader r(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UserError(path + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML: " + e.msg);
  }
  RunConfig c;
  c.path = path;
  c.base_dir = base_dir;
  c.text = text;
  if (!root.IsMap()) throw UserError(path + ": the configuration must be a YAML mapping (see configs/sample.yaml)");
  r.check_keys(root, "the configuration",
               {"releases", "preprocess", "zones", "levels", "stats", "coverage", "lit_threshold",
                "min_valid_fraction", "gaps", "hu_line", "inequality", "convergence", "population", "output",
                "threads"});
  for (const char* required : {"releases", "zones", "levels", "output"})
    if (!root[required]) throw UserError(path + ": missing section '" + std::string(required) + "'");

  ConfigSections sections{r, root, c, path, base_dir, read_tables, {}};
  parse_releases(sections);
  parse_preprocess(sections);
  parse_zones(sections);
  parse_levels(sections);
  parse_statistics(sections);
  parse_gaps(sections);
  parse_population(sections);
  parse_hu_line_and_inequality(sections);
  parse_output(sections);
  return c;
}

}  // namespace

RunConfig parse_run_config(const std::string& text, const std::string& path, const std::string& base_dir,
                           bool read_tables) {
  // Every conversion above checks its node first; this backstop turns a yaml-cpp exception from
  // a case the checks missed into the same one-line error instead of a crash (the fuzzer's job).
  try {
    return parse_checked(text, path, base_dir, read_tables);
  } catch (const YAML::Exception& e) {
    throw UserError(path + (e.mark.line >= 0 ? ":" + std::to_string(e.mark.line + 1) : "") + ": " + e.msg);
  }
}

RunConfig load_run_config(const std::string& path) {
  const auto text = read_whole_file(path);
  if (!text) throw UserError(path + ": configuration file not found or unreadable");
  const std::string base = fs::absolute(fs::path(path)).parent_path().string();
  return parse_run_config(*text, path, base);
}

}  // namespace nl
