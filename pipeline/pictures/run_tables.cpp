// The run's tables read back by name (see run_tables.hpp).
#include "pipeline/pictures/run_tables.hpp"

#include <cmath>
#include <set>
#include <sstream>

#include "pipeline/io/output_file.hpp"

namespace nl {

int NamedTable::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

const std::string& NamedTable::at(size_t row, const std::string& name) const {
  static const std::string empty;
  const int c = column(name);
  return c < 0 || static_cast<size_t>(c) >= rows[row].size() ? empty : rows[row][static_cast<size_t>(c)];
}

double NamedTable::number(size_t row, const std::string& name) const {
  const std::string& s = at(row, name);
  return s.empty() ? NAN : std::stod(s);
}

std::optional<NamedTable> read_named_table(const std::string& path) {
  const auto text = read_whole_file(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  NamedTable t;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
      t.header = split_csv_line(line);
      first = false;
    } else if (!line.empty()) {
      t.rows.push_back(split_csv_line(line));
    }
  }
  return t;
}

std::vector<std::string> panel_release_ids(const std::string& out, const RunConfig& config) {
  std::vector<std::string> ids;
  if (config.levels.empty()) return ids;
  const auto t = read_named_table(out + "/panel/" + config.levels.front().name + ".csv");
  if (!t) return ids;
  std::set<std::string> seen;
  for (size_t r = 0; r < t->rows.size(); ++r)
    if (seen.insert(t->at(r, "release")).second) ids.push_back(t->at(r, "release"));
  return ids;
}

}  // namespace nl
