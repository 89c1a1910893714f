// DMSP inter-calibration coefficient tables: the published sets in
// configs/dmsp-intercalibration.yaml (by name) or a user's table in the same shape (by path),
// checked when read: every key a satellite-year that satellite flew, the reference the identity.
#pragma once
#include <map>
#include <string>

#include "kernels/intercalibration.hpp"

namespace nl {

struct IntercalibrationRow {
  CalibrationCoefficients coefficients;
  double r2 = 1;
};

struct IntercalibrationTable {
  std::string name;         // "elvidge2014", or the user's set name
  std::string source_path;  // the YAML it came from
  std::string citation;
  SatelliteYear reference;
  std::map<SatelliteYear, IntercalibrationRow> rows;

  // Throws UserError naming the satellite-year and the table when it has no row: a missing
  // row is never a silent identity.
  const IntercalibrationRow& at(const SatelliteYear& s) const;
};

// The set `set` of the YAML text (or its only set when `set` is empty). `path` names the text
// in errors ("PATH:LINE: …"). Throws UserError.
IntercalibrationTable parse_intercalibration_table(const std::string& text, const std::string& path,
                                                   const std::string& set);

// `choice` is elvidge2014 or elvidge2009 (read from dmsp-intercalibration.yaml in `base_dir`,
// else in the configs folder of the source tree or the installation), or a path to a user's
// table (relative to `base_dir`). Throws UserError.
IntercalibrationTable load_intercalibration(const std::string& choice, const std::string& base_dir);

// True when `choice` names a published set rather than a file.
bool is_published_intercalibration(const std::string& choice);

}  // namespace nl
