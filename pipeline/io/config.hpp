// The YAML configuration of `nightlights run`: releases, preprocessing, zone layers, levels,
// statistics and outputs. Parsing is strict: unknown keys and wrong types are errors naming
// the file, line and key (with a "did you mean").
#pragma once
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "kernels/accumulator.hpp"
#include "kernels/coverage.hpp"
#include "kernels/datum.hpp"
#include "kernels/preprocess.hpp"
#include "pipeline/io/black_marble.hpp"

namespace nl {

struct QualityConfig {
  std::string template_name;  // e.g. "{stem}_cf.tif"; {stem}, {name} and {dir} are replaced
  std::string replace_from, replace_to;  // or: the release's file name with this part replaced
  double min_count = 1;       // quality below this: no data
};

struct ReleasesConfig {
  std::vector<std::string> files;  // globs or paths, resolved against the config's folder
  std::string pattern;             // file-name pattern with {year}, {month}, {day}, *
  std::string id_format;           // release id from the placeholders; default joins them with '-'
  std::string units;               // nW/cm2/sr or DN
  int band = 1;
  std::string assume_crs;
  std::optional<QualityConfig> quality;
  BlackMarbleConfig black_marble;  // releases.product: black-marble and its keys
};

struct ZoneLayerConfig {
  std::string name;
  std::string path, layer, id_field;
  std::vector<std::string> fields;
  Datum datum = Datum::wgs84;
  std::string assume_crs;
};

// How a level's units are found: its own zone layer, or a key computed from each unit of a
// finer level: a field, a field's prefix, a lookup table, or the region table.
struct LevelConfig {
  std::string name;
  std::string zones;        // a zone layer of its own
  std::string from;         // or: derived from this finer level
  std::string key_field;    // field of the finer level (or "id")
  int prefix = 0;           // keep the first `prefix` characters of the key (0: all)
  std::string suffix;       // appended after the prefix (e.g. "00" to make 4101 → 410100)
  std::map<std::string, std::string> lookup;  // key → group (a table or the region file)
  std::string lookup_source;
  std::string unmatched = "error";  // or a group name for keys missing from the lookup
};

struct GapsConfig {
  std::string level;             // the level whose units are counted (default: the first)
  std::string region_level;      // the level whose groups are compared (default: "region")
  std::string reference = "East";
  std::vector<std::string> groups{"East", "Central", "West", "Northeast"};
  std::string west = "West";
};

struct HuLineConfig {
  bool enabled = false;
  std::string definition;  // configs/hu-line.yaml
  std::string shape;       // overrides the definition's (geodesic | straight-lonlat)
  std::string country_path, country_layer, country_assume_crs;
  Datum country_datum = Datum::wgs84;  // default country: the first zone layer's union
  std::string level;       // the level whose units are grouped by side (default: the first)
};

struct InequalityConfig {
  bool enabled = false;
  std::vector<std::string> levels;     // default: the first two levels
  std::vector<std::string> groupings;  // region and/or hu_line
};

// GDP by (unit code, year).
using GdpTable = std::map<std::pair<std::string, int>, double>;

struct ConvergenceConfig {
  bool enabled = false;
  std::vector<std::string> levels;  // default: the first level
  bool region_dummies = true;
  std::string gdp_path;  // CSV code,year,gdp: adds the lights–GDP elasticity; empty: none
  GdpTable gdp;          // loaded with the configuration
};

// Population per unit, for light per person, population shares and population-weighted
// inequality. The table holds codes of one level; the levels made of its units get sums.
struct PopulationConfig {
  std::string table;                      // CSV with columns code, population; empty: none
  std::string level;                      // whose codes the table holds (default: gaps.level)
  std::map<std::string, double> by_code;  // loaded with the configuration
};

struct OutputConfig {
  std::string directory;
  std::vector<std::string> geopackage_levels;
  bool bom = false;
  bool pictures = true;  // maps, charts and report.html (only where the build has cairo)
};

struct RunConfig {
  std::string path;        // the config file
  std::string base_dir;    // relative paths resolve against this
  std::string text;        // the file as read, for provenance
  ReleasesConfig releases;
  PreprocessOptions preprocess;
  bool nodata_override = false;
  std::vector<ZoneLayerConfig> zones;
  std::vector<LevelConfig> levels;
  std::vector<Statistic> stats;
  CoverageMode coverage = CoverageMode::exact;
  double lit_threshold = 0;
  double min_valid_fraction = 0;
  GapsConfig gaps;
  HuLineConfig hu_line;
  InequalityConfig inequality;
  ConvergenceConfig convergence;
  PopulationConfig population;
  OutputConfig output;
  int threads = 0;
};

// More threads than any node has cores: a typo, refused before it starts them.
constexpr int kMaxThreads = 1024;

// Throws UserError "FILE:LINE: problem" for any mistake.
RunConfig load_run_config(const std::string& path);

// For fuzzing and tests: parse from text (`path` only names the source in messages);
// `read_tables` false leaves lookup tables unread (the fuzzer must not open arbitrary files).
RunConfig parse_run_config(const std::string& text, const std::string& path, const std::string& base_dir,
                           bool read_tables = true);

// `p` as written in a configuration in `base`: relative file paths, also the file part of
// GDAL's `DRIVER:"file":rest` and `DRIVER:file:rest` names, resolved against `base`.
std::string resolve_path(const std::string& base, const std::string& p);

// Closest of `candidates` to `word` by edit distance, or "" when nothing is close.
std::string closest_word(const std::string& word, const std::vector<std::string>& candidates);

// The population (code,population) and GDP (code,year,gdp) tables from their CSV text; `path`
// names them in the one-line errors (PATH:LINE: …).
std::map<std::string, double> parse_population_table(const std::string& text, const std::string& path);
GdpTable parse_gdp_table(const std::string& text, const std::string& path);

}  // namespace nl
