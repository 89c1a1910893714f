// Reading and checking DMSP inter-calibration tables (see the header).
#include "pipeline/io/intercalibration_table.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace fs = std::filesystem;

const IntercalibrationRow& IntercalibrationTable::at(const SatelliteYear& s) const {
  const auto it = rows.find(s);
  if (it != rows.end()) return it->second;
  throw UserError("no inter-calibration coefficients for " + s.id() + " in " + name + " (" + source_path +
                  ")" + (s.satellite == "F18" && s.year == 2013 ? ": Elvidge et al. 2014 ends at F182012; "
                                                                  "give a user table with F182013"
                                                                : "; give a user table that has it"));
}

namespace {

[[noreturn]] void fail_at(const std::string& path, const YAML::Node& node, const std::string& message) {
  const auto mark = node.Mark();
  throw UserError(path + (mark.line >= 0 ? ":" + std::to_string(mark.line + 1) : "") + ": " + message);
}

IntercalibrationRow parse_row(const std::string& path, const std::string& key, const YAML::Node& v) {
  if (!v.IsSequence() || (v.size() != 3 && v.size() != 4))
    fail_at(path, v, key + ": give [C0, C1, C2] or [C0, C1, C2, R2]");
  std::vector<double> x;
  for (const auto& item : v) {
    try {
      x.push_back(item.as<double>());
    } catch (const YAML::Exception&) {
      fail_at(path, item, key + ": coefficients must be numbers");
    }
    if (!std::isfinite(x.back())) fail_at(path, item, key + ": coefficients must be finite");
  }
  IntercalibrationRow row{{x[0], x[1], x[2]}, x.size() == 4 ? x[3] : 1.0};
  // R² of a regression lies in [0, 1]; a negative one is a copying error (seen in public copies).
  if (!(row.r2 >= 0 && row.r2 <= 1)) fail_at(path, v, key + ": R² " + std::to_string(row.r2) + " is not in [0, 1]");
  return row;
}

}  // namespace

IntercalibrationTable parse_intercalibration_table(const std::string& text, const std::string& path,
                                                   const std::string& set) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UserError(path + ": not valid YAML (" + e.msg + ")");
  }
  const YAML::Node sets = root["sets"];
  if (!sets || !sets.IsMap() || sets.size() == 0) fail_at(path, root, "expected 'sets:' with one or more tables");
  YAML::Node chosen;
  std::string name = set;
  if (set.empty()) {
    if (sets.size() != 1) fail_at(path, sets, "holds several sets; name one (e.g. elvidge2014)");
    name = sets.begin()->first.as<std::string>();
    chosen = sets.begin()->second;
  } else {
    chosen = sets[set];
    if (!chosen) fail_at(path, sets, "has no set '" + set + "'");
  }
  if (const YAML::Node why = chosen["unavailable"]) throw UserError(path + ": " + name + " is " + why.as<std::string>());
  IntercalibrationTable t;
  t.name = name;
  t.source_path = path;
  if (chosen["citation"]) t.citation = chosen["citation"].as<std::string>();
  if (!chosen["reference"]) fail_at(path, chosen, name + ": give 'reference:' (e.g. F121999)");
  const YAML::Node rows = chosen["rows"];
  if (!rows || !rows.IsMap() || rows.size() == 0) fail_at(path, chosen, name + ": give 'rows:' keyed by satellite-year");
  for (const auto& kv : rows) {
    const std::string key = kv.first.as<std::string>();
    SatelliteYear s;
    try {
      s = parse_satellite_year(key);
    } catch (const std::invalid_argument& e) {
      fail_at(path, kv.first, e.what());
    }
    const auto years = years_flown(s.satellite);
    if (!years) fail_at(path, kv.first, key + ": " + s.satellite + " is not a DMSP satellite with stable lights");
    if (!flew(s))
      fail_at(path, kv.first, key + ": " + s.satellite + " flew " + std::to_string(years->first) + "–" +
                                  std::to_string(years->second) + ", not " + std::to_string(s.year) +
                                  " (a row filed under the wrong satellite?)");
    if (!t.rows.emplace(s, parse_row(path, key, kv.second)).second) fail_at(path, kv.first, key + " appears twice");
  }
  try {
    t.reference = parse_satellite_year(chosen["reference"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    fail_at(path, chosen["reference"], e.what());
  }
  const auto ref = t.rows.find(t.reference);
  if (ref == t.rows.end()) fail_at(path, chosen["reference"], "the reference " + t.reference.id() + " has no row");
  const CalibrationCoefficients& c = ref->second.coefficients;
  if (c.c0 != 0 || c.c1 != 1 || c.c2 != 0)
    fail_at(path, chosen["reference"], "the reference " + t.reference.id() + " must be the identity [0, 1, 0]");
  return t;
}

bool is_published_intercalibration(const std::string& choice) {
  return choice == "elvidge2014" || choice == "elvidge2009";
}

IntercalibrationTable load_intercalibration(const std::string& choice, const std::string& base_dir) {
  std::vector<fs::path> candidates;
  std::string set;
  if (is_published_intercalibration(choice)) {
    set = choice;
    const std::string file = "dmsp-intercalibration.yaml";
    candidates.push_back(fs::path(base_dir) / file);
#ifdef NIGHTLIGHTS_CONFIGS_DIRS
    std::stringstream dirs(NIGHTLIGHTS_CONFIGS_DIRS);
    for (std::string d; std::getline(dirs, d, '|');)
      if (!d.empty()) candidates.push_back(fs::path(d) / file);
#endif
  } else {
    candidates.push_back(fs::path(choice).is_absolute() ? fs::path(choice) : fs::path(base_dir) / choice);
  }
  for (const fs::path& p : candidates) {
    std::ifstream in(p);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    return parse_intercalibration_table(text.str(), p.string(), set);
  }
  std::string tried;
  for (const fs::path& p : candidates) tried += (tried.empty() ? "" : ", ") + p.string();
  throw UserError("preprocess.intercalibration: " + choice + ": cannot read " + tried);
}

}  // namespace nl
