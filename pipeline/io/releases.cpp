// Release discovery: globs, id patterns, quality templates and tiles grouped by date.
#include "pipeline/io/releases.hpp"

#include <glob.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "pipeline/io/datacube.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace fs = std::filesystem;

// One element of a release-name pattern: a literal character, `?`, `*`, or a placeholder of
// `digits` digits.
struct ReleaseNamePattern::Token {
  enum Kind { literal, any_char, any_run, digits, tile } kind;
  char ch = 0;
  int count = 0;
  std::string key;
};

namespace {

using PatternToken = ReleaseNamePattern::Token;

std::vector<PatternToken> tokenize_pattern(const std::string& pattern) {
  std::vector<PatternToken> tokens;
  std::vector<std::string> keys;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (ch == '{') {
      const size_t close = pattern.find('}', i);
      if (close == std::string::npos) throw std::invalid_argument("unclosed '{' in pattern '" + pattern + "'");
      const std::string key = pattern.substr(i + 1, close - i - 1);
      if (key != "year" && key != "month" && key != "day" && key != "doy" && key != "tile")
        throw std::invalid_argument("unknown placeholder {" + key + "} in pattern '" + pattern +
                                    "' (use {year}, {month}, {day}, {doy}, {tile})");
      if (std::find(keys.begin(), keys.end(), key) != keys.end())
        throw std::invalid_argument("placeholder {" + key + "} appears twice in pattern '" + pattern + "'");
      keys.push_back(key);
      const int width = key == "year" ? 4 : key == "doy" ? 3 : key == "tile" ? 0 : 2;  // a tile's: by its id
      tokens.push_back({key == "tile" ? PatternToken::tile : PatternToken::digits, 0, width, key});
      i = close;
    } else if (ch == '*') {
      // `**` means what `*` means; merging them keeps the table below small.
      if (tokens.empty() || tokens.back().kind != PatternToken::any_run) tokens.push_back({PatternToken::any_run, 0, 0, {}});
    } else if (ch == '?') {
      tokens.push_back({PatternToken::any_char, 0, 0, {}});
    } else {
      tokens.push_back({PatternToken::literal, ch, 0, {}});
    }
  }
  return tokens;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// {tile}: the width of the tile id at name[j] (Black Marble's hHHvVV 6, EOG's 75N060E 7), 0 if none.
size_t tile_width_at(const std::string& name, size_t j) {
  for (size_t w : {size_t{6}, size_t{7}})
    if (j + w <= name.size() && parse_tile_id(name.substr(j, w))) return w;
  return 0;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Month and day of a day of year; false when the day does not exist in that year.
bool month_day_of(int year, int doy, int& month, int& day) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (doy < 1) return false;
  for (month = 1; month <= 12; ++month) {
    const int n = kDays[month - 1] + (month == 2 && is_leap(year));
    if (doy <= n) {
      day = doy;
      return true;
    }
    doy -= n;
  }
  return false;
}

std::string two_digit(int n) {
  std::string s = n < 10 ? "0" : "";  // by append: GCC 12 warns falsely on "literal" + string
  s.append(std::to_string(n));
  return s;
}

}  // namespace

ReleaseNamePattern::ReleaseNamePattern(const std::string& pattern) : tokens_(tokenize_pattern(pattern)) {}
ReleaseNamePattern::~ReleaseNamePattern() = default;
ReleaseNamePattern::ReleaseNamePattern(ReleaseNamePattern&&) noexcept = default;

std::optional<NameMatch> match_release_name(const std::string& name, const std::string& pattern,
                                           const std::string& id_format) {
  return ReleaseNamePattern(pattern).match(name, id_format);
}

namespace {

// The placeholders' values in one name, as views into it; {doy}'s month and day are kept here.
struct Placeholders {
  std::string_view year, month, day, doy, tile;
  std::string month_of_doy, day_of_doy;

  std::string_view* slot(const std::string& key) {
    return key == "year" ? &year : key == "month" ? &month : key == "day" ? &day : key == "doy" ? &doy : &tile;
  }
  // false when a month, day or day of year does not exist
  bool valid() {
    auto number = [](std::string_view v) { return std::stoi(std::string(v)); };
    if (!month.empty() && (number(month) < 1 || number(month) > 12)) return false;
    if (!day.empty() && (number(day) < 1 || number(day) > 31)) return false;
    if (doy.empty()) return true;
    int m = 0, d = 0;
    if (!month_day_of(number(year), number(doy), m, d)) return false;
    month_of_doy = two_digit(m), day_of_doy = two_digit(d);
    if (month.empty()) month = month_of_doy;
    if (day.empty()) day = day_of_doy;
    return true;
  }
};

// The id `format` spells with `values`; without a format, {year}-{month}-{day} of those captured.
std::string release_id(const std::string& format, const Placeholders& values) {
  std::string id;
  if (format.empty()) {
    for (std::string_view v : {values.year, values.month, values.day})
      if (!v.empty()) id.append(id.empty() ? "" : "-").append(v);
    return id;
  }
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '{') {
      id += format[i];
      continue;
    }
    const size_t close = format.find('}', i);
    if (close == std::string::npos) throw std::invalid_argument("unclosed '{' in id format '" + format + "'");
    const std::string key = format.substr(i + 1, close - i - 1);
    const std::string_view* v = key == "year" ? &values.year : key == "month" ? &values.month
                                : key == "day"  ? &values.day
                                : key == "doy"  ? &values.doy
                                : key == "tile" ? &values.tile
                                                : nullptr;
    if (!v || v->empty()) throw std::invalid_argument("id format uses {" + key + "}, which the pattern does not capture");
    id.append(*v);
    i = close;
  }
  return id;
}

}  // namespace

std::optional<NameMatch> ReleaseNamePattern::match(const std::string& name, const std::string& id_format) const {
  // A table of "tokens t… match name[j…]" instead of a backtracking regex: time and memory are
  // (tokens × name length), whatever the pattern (std::regex took minutes, and deep recursion,
  // on `**************` against a long name). The table is the thread's, reused: a daily job
  // matches thousands of names per run.
  const std::vector<PatternToken>& tokens = tokens_;
  const size_t nt = tokens.size(), nn = name.size();
  thread_local std::vector<uint8_t> match;
  match.assign((nt + 1) * (nn + 1), 0);
  auto at = [&](size_t t, size_t j) -> uint8_t& { return match[t * (nn + 1) + j]; };
  at(nt, nn) = 1;
  for (size_t t = nt; t-- > 0;) {
    const PatternToken& tok = tokens[t];
    for (size_t j = nn + 1; j-- > 0;) {
      bool ok = false;
      switch (tok.kind) {
        case PatternToken::literal:
          ok = j < nn && name[j] == tok.ch && at(t + 1, j + 1);
          break;
        case PatternToken::any_char:
          ok = j < nn && at(t + 1, j + 1);
          break;
        case PatternToken::any_run:
          ok = at(t + 1, j) || (j < nn && at(t, j + 1));
          break;
        case PatternToken::digits:
          ok = j + tok.count <= nn && at(t + 1, j + tok.count) &&
               std::all_of(name.begin() + j, name.begin() + j + tok.count, is_digit);
          break;
        case PatternToken::tile: {
          const size_t w = j < nn ? tile_width_at(name, j) : 0;
          ok = w && at(t + 1, j + w);
          break;
        }
      }
      at(t, j) = ok;
    }
  }
  if (!at(0, 0)) return std::nullopt;
  // Read the placeholders off one match; a `*` takes as much as it can (a regex's greedy `.*`).
  Placeholders values;
  size_t j = 0;
  for (size_t t = 0; t < nt; ++t) {
    const PatternToken& tok = tokens[t];
    if (tok.kind == PatternToken::any_run) {
      size_t k = nn;
      while (!at(t + 1, k)) --k;
      j = k;
    } else if (tok.kind == PatternToken::digits || tok.kind == PatternToken::tile) {
      const size_t w = tok.kind == PatternToken::tile ? tile_width_at(name, j) : static_cast<size_t>(tok.count);
      *values.slot(tok.key) = std::string_view(name).substr(j, w);
      j += w;
    } else {
      ++j;
    }
  }
  if (!values.valid()) return std::nullopt;
  return NameMatch{release_id(id_format, values), std::string(values.tile)};
}

std::optional<std::string> release_id_from_name(const std::string& name, const std::string& pattern,
                                                const std::string& id_format) {
  const auto m = match_release_name(name, pattern, id_format);
  if (!m) return std::nullopt;
  return m->id;
}

std::string quality_path_for(const std::string& release_path, const QualityConfig& q) {
  const fs::path p(release_path);
  if (!q.replace_from.empty()) {
    std::string name = p.filename().string();
    const size_t at = name.rfind(q.replace_from);
    if (at == std::string::npos) return "";
    name.replace(at, q.replace_from.size(), q.replace_to);
    return (p.parent_path() / name).string();
  }
  std::string out = q.template_name;
  auto substitute = [&](const std::string& key, const std::string& value) {
    for (size_t at; (at = out.find(key)) != std::string::npos;) out.replace(at, key.size(), value);
  };
  substitute("{stem}", p.stem().string());
  substitute("{name}", p.filename().string());
  substitute("{dir}", p.parent_path().string());
  if (fs::path(out).is_relative()) out = (p.parent_path() / out).string();
  return out;
}

namespace {

std::vector<std::string> expand_globs(const std::vector<std::string>& specs) {
  std::vector<std::string> paths;
  for (const auto& spec : specs) {
    glob_t g{};
    // Unsorted: all the paths are sorted together below (glob's own sort, by strcoll, cost a
    // daily run ~0.6 ms per thousand files for nothing).
    const int rc = glob(spec.c_str(), GLOB_NOSORT, nullptr, &g);
    if (rc == 0) {
      paths.reserve(paths.size() + g.gl_pathc);
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc == GLOB_NOMATCH && spec.find_first_of("*?[") == std::string::npos)
      throw UserError(spec + ": release file not found");
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

// releases.pattern parsed, its errors named as the configuration's.
ReleaseNamePattern compiled_pattern(const ReleasesConfig& config) {
  try {
    return ReleaseNamePattern(config.pattern);
  } catch (const std::invalid_argument& e) {
    throw UserError(std::string("releases.pattern: ") + e.what());
  }
}

std::optional<NameMatch> matched(const ReleaseNamePattern& pattern, const std::string& name,
                                 const std::string& id_format) {
  try {
    return pattern.match(name, id_format);
  } catch (const std::invalid_argument& e) {
    throw UserError(std::string("releases.pattern: ") + e.what());
  }
}

// A Black Marble file's id follows its product's period unless releases.id says otherwise.
std::string id_format_for(const ReleasesConfig& config, const std::string& name) {
  if (!config.id_format.empty() || !config.black_marble.enabled) return config.id_format;
  return black_marble_id_format(black_marble_product(name));
}

}  // namespace

std::optional<SatelliteYear> dmsp_satellite_year(const std::string& name) {
  static const std::regex noaa(R"(^(F\d{2}\d{4})\.v4[A-Za-z0-9_]*\.stable_lights\.avg_vis\.tif$)");
  std::smatch m;
  if (!std::regex_match(name, m, noaa)) return std::nullopt;
  return parse_satellite_year(m[1].str());
}

namespace {

// One release per year; two satellites of a year make one release of two inputs.
std::vector<ReleaseFile> find_dmsp_releases(const ReleasesConfig& config, const std::vector<std::string>& paths) {
  std::map<std::string, ReleaseFile> by_year;
  const std::optional<ReleaseNamePattern> pattern =
      config.pattern.empty() ? std::nullopt : std::optional(compiled_pattern(config));
  for (const auto& path : paths) {
    const std::string name = fs::path(path).filename().string();
    const auto s = dmsp_satellite_year(name);
    if (!s) continue;  // e.g. the cf_cvg or avg_vis rasters beside the stable lights
    if (pattern && !matched(*pattern, name, config.id_format)) continue;
    ReleaseFile& r = by_year[std::to_string(s->year)];
    r.id = std::to_string(s->year);
    for (const auto& other : r.satellites)
      if (other.satellite_year == *s)
        throw UserError("DMSP " + s->id() + " matches two files: " + other.path + " and " + path + " — keep one version");
    r.satellites.push_back({*s, path});
  }
  std::vector<ReleaseFile> releases;
  for (auto& [year, r] : by_year) {
    std::sort(r.satellites.begin(), r.satellites.end(),
              [](const SatelliteFile& a, const SatelliteFile& b) { return a.satellite_year < b.satellite_year; });
    if (r.satellites.size() > 2)
      throw UserError("DMSP year " + year + " has " + std::to_string(r.satellites.size()) + " satellites (" +
                      r.satellites[0].path + ", " + r.satellites[1].path + ", " + r.satellites[2].path +
                      "); no year had more than two — remove the extra files");
    r.path = r.satellites.front().path;
    releases.push_back(std::move(r));
  }
  return releases;
}

// Every band of each cube a release; its quality is the same band of the quality cube.
std::vector<ReleaseFile> find_band_releases(const ReleasesConfig& config, const std::vector<std::string>& paths) {
  std::map<std::string, ReleaseFile> by_id;
  for (const auto& path : paths) {
    const std::string quality = config.quality ? quality_path_for(path, *config.quality) : "";
    if (config.quality && quality.empty())
      throw UserError(path + ": the quality rule (replace '" + config.quality->replace_from + "') does not apply to this name");
    for (const CubeBand& b : cube_bands(path, config.band_ids, config.pattern, config.id_format)) {
      ReleaseFile r{b.id, path, quality, {}, {}, b.band, b.sha256, ""};
      if (!quality.empty() && fs::exists(quality)) r.quality_band_sha256 = band_sha256(quality, b.band);
      if (const auto it = by_id.find(b.id); it != by_id.end())
        throw UserError("release " + b.id + " is " + band_input_name(it->second.path, it->second.band) + " and " +
                        band_input_name(path, b.band) + " — give one cube per series");
      by_id.emplace(b.id, std::move(r));
    }
  }
  std::vector<ReleaseFile> releases;
  for (auto& [id, r] : by_id) releases.push_back(std::move(r));
  return releases;
}

}  // namespace

namespace {

// One file that matched releases.pattern.
struct MatchedFile {
  NameMatch match;
  std::string* path;  // into the caller's paths, moved out of them at the end
  std::string quality;
};

// The matching files among `paths`, in path order; two files with one id (and tile) are an error.
std::vector<MatchedFile> matched_files(const ReleasesConfig& config, std::vector<std::string>& paths) {
  const std::string collection = config.black_marble.collection.empty() ? "" : "." + config.black_marble.collection + ".";
  const ReleaseNamePattern pattern = compiled_pattern(config);
  std::vector<MatchedFile> files;
  files.reserve(paths.size());
  // "<id>\n<tile>" → the first path with them (an id short enough for no allocation per file)
  std::unordered_map<std::string, const std::string*> seen;
  seen.reserve(paths.size());
  for (auto& path : paths) {
    const std::string name = path.substr(path.rfind('/') + 1);  // npos + 1 == 0: the whole path
    if (!collection.empty() && name.find(collection) == std::string::npos) continue;
    std::optional<NameMatch> m = matched(pattern, name, id_format_for(config, name));
    if (!m) continue;  // e.g. the quality rasters beside the releases
    if (auto [it, fresh] = seen.emplace(m->id + "\n" + m->tile, &path); !fresh)
      throw UserError("release " + m->id + (m->tile.empty() ? "" : " tile " + m->tile) + " matches two files: " +
                      *it->second + " and " + path +
                      (m->tile.empty() ? " — make releases.pattern more specific"
                                       : " — pick one with releases.collection (e.g. \"002\") or remove one"));
    std::string quality = config.quality ? quality_path_for(path, *config.quality) : "";
    if (config.quality && quality.empty())
      throw UserError(path + ": the quality rule (replace '" + config.quality->replace_from + "') does not apply to this name");
    if (!m->tile.empty()) {
      const bool black_marble = parse_tile_id(m->tile)->lattice == TileLattice::black_marble;
      if (black_marble != config.black_marble.enabled)
        throw UserError(path + ": tile " + m->tile + (black_marble ? " is a Black Marble tile; set releases.product: black-marble"
                                                                   : " is an EOG tile, but releases.product is black-marble"));
    }
    files.push_back({std::move(*m), &path, std::move(quality)});
  }
  return files;
}

}  // namespace

std::vector<ReleaseFile> find_releases(const ReleasesConfig& config) {
  std::vector<std::string> paths = expand_globs(config.files);
  if (config.dmsp.enabled) return find_dmsp_releases(config, paths);
  if (config.band_each) return find_band_releases(config, paths);
  std::vector<MatchedFile> files = matched_files(config, paths);
  // By id; a release's files stay in path order (its first file is its path until tiles sort).
  // Names that carry their date in order are in id order already: no sort, and no buffer for it.
  const auto by_id = [](const MatchedFile& a, const MatchedFile& b) { return a.match.id < b.match.id; };
  if (!std::is_sorted(files.begin(), files.end(), by_id)) std::stable_sort(files.begin(), files.end(), by_id);
  // The paths and texts are moved, not copied: a daily job finds thousands of files per run.
  std::vector<ReleaseFile> releases;
  releases.reserve(files.size());  // at most one per file: no copy of the list at each growth
  for (MatchedFile& f : files) {
    const bool tiled = !f.match.tile.empty();
    if (releases.empty() || releases.back().id != f.match.id)
      releases.push_back(ReleaseFile{std::move(f.match.id), tiled ? std::string() : std::move(*f.path),
                                     tiled ? std::string() : std::move(f.quality), {}, {}, 0, "", ""});
    if (!tiled) continue;
    // A tiled release's quality rasters go with their tiles, into the mosaic's quality layer;
    // its path is its first tile's, set below.
    releases.back().tiles.push_back({*parse_tile_id(f.match.tile), std::move(*f.path), std::move(f.quality)});
    releases.back().quality_path.clear();
  }
  for (ReleaseFile& r : releases) {
    if (r.tiles.empty()) continue;
    std::sort(r.tiles.begin(), r.tiles.end(), [](const TileFile& a, const TileFile& b) { return a.tile < b.tile; });
    r.path = r.tiles.front().path;
  }
  return releases;
}

}  // namespace nl
