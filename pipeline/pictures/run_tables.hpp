// The run's tables read back by name, for the charts over releases and the report page: the
// panel and the latest release are on disk as CSV written with shortest round-trip numbers
// (format_number), so a number read back is the double the run computed, not a guess.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"

namespace nl {

struct NamedTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const;  // -1 when absent
  // The cell (empty when the column is absent) and the number in it (NaN when empty).
  const std::string& at(size_t row, const std::string& name) const;
  double number(size_t row, const std::string& name) const;
};

// Absent file: nothing. A UTF-8 BOM (output.bom) is skipped.
std::optional<NamedTable> read_named_table(const std::string& path);

// The panel's releases in panel order (the release column of OUT/panel/<first level>.csv).
std::vector<std::string> panel_release_ids(const std::string& out, const RunConfig& config);

}  // namespace nl
