// The panel, convergence tables and GeoPackages (see panel_outputs.hpp).
#include "pipeline/app/panel_outputs.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "pipeline/analysis/centre_of_light.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/app/convergence_store.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

// What the panel of one table holds, kept beside it (panel/.<table>.stacked): the panel file's
// size, then one line per release stacked, "<id> <version>" (PanelRelease: its folder's inode
// and its tables' finish time, known from the manifest and one listing of releases/). A daily
// run whose releases so far are unchanged (same ids, same versions, in order) appends the new
// releases' rows instead of re-stacking the whole history, and it learns that without a system
// call per release, so one new release costs the same with 10 releases behind it as with 10,000.
struct Stacked {
  int64_t panel_size = -1;
  std::vector<std::string> lines;  // "<id> <version>"
};

std::string stacked_line(const PanelRelease& r) { return r.id + " " + r.version; }

Stacked read_stacked(const std::string& path) {
  Stacked s;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return s;
  s.panel_size = std::atoll(line.c_str());
  while (std::getline(in, line)) s.lines.push_back(line);
  return s;
}

// One table's rows from each of `releases` (from `from` on), the header only when `header`.
std::string stacked_rows(const std::string& out, const std::string& t, const std::vector<PanelRelease>& releases,
                         size_t from, bool header) {
  std::string panel;
  for (size_t i = from; i < releases.size(); ++i) {
    std::ifstream in(out + "/releases/" + releases[i].id + "/" + t + ".csv", std::ios::binary);
    if (!in) continue;
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      if (first) {
        first = false;
        if (!header) continue;  // one header
        header = false;
      }
      panel += line + "\n";
    }
  }
  return panel;
}

// The panel of table `t` over `releases`: appended to when it holds a prefix of them unchanged
// (unless `restack`), else written whole (to a temporary, renamed). An append cut short (a crash)
// leaves a size the stamp file does not record, so the next run writes it whole. `derived`, a
// table computed from this panel, is removed before the panel changes (a run stopped between
// the two leaves none, and the next run computes it). Returns whether the panel changed.
bool write_panel_table(const std::string& out, const std::string& t, const std::vector<PanelRelease>& releases,
                       bool restack, const std::string& derived) {
  const std::string panel = out + "/panel/" + t + ".csv", stamp = out + "/panel/." + t + ".stacked";
  std::vector<std::string> now;
  now.reserve(releases.size());
  for (const auto& r : releases) now.push_back(stacked_line(r));
  const Stacked old = restack ? Stacked{} : read_stacked(stamp);
  std::error_code ec;
  const auto size = fs::file_size(panel, ec);
  const bool prefix = !ec && old.panel_size == static_cast<int64_t>(size) && !old.lines.empty() &&
                      old.lines.size() <= now.size() && std::equal(old.lines.begin(), old.lines.end(), now.begin());
  if (prefix && old.lines.size() == now.size()) return false;  // nothing new
  if (!derived.empty()) fs::remove(derived, ec);
  std::string text = stacked_rows(out, t, releases, prefix ? old.lines.size() : 0, !prefix);
  int64_t panel_size = 0;
  if (prefix) {
    std::ofstream app(panel, std::ios::binary | std::ios::app);
    app.write(text.data(), static_cast<std::streamsize>(text.size()));
    app.close();
    if (!app) throw UserError(panel + ": cannot append to the panel (disk full?)");
    panel_size = static_cast<int64_t>(size + text.size());
  } else {
    write_file_atomically(panel, text);
    panel_size = static_cast<int64_t>(text.size());
  }
  std::string lines = std::to_string(panel_size) + "\n";
  for (const auto& l : now) lines += l + "\n";
  write_file_atomically(stamp, lines);
  return true;
}

// The first line of a file (its CSV header), without reading the rest.
std::string first_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

void write_panel_tables(const std::string& out, const RunConfig& config, const std::vector<PanelRelease>& releases,
                        bool restack) {
  if (releases.empty()) {
    // No release has tables: an old panel would list releases the manifest no longer backs.
    std::error_code ec;
    fs::remove_all(out + "/panel", ec);
    return;
  }
  make_directories(out + "/panel");
  std::vector<std::string> tables;
  for (const auto& l : config.levels) tables.push_back(l.name);
  if (!config.gaps.region_level.empty()) tables.push_back("gaps");
  if (config.hu_line.enabled) tables.push_back("hu_line");
  if (config.inequality.enabled) tables.push_back("inequality");
  // The centre of light moves with the groups' rows of the panel's gaps table: computed when
  // they changed (or it is missing), and only when the table has the centre's columns (its
  // header says; the whole table, which grows with the history, is read only then).
  const std::string gaps = out + "/panel/gaps.csv", centre = out + "/panel/centre_of_light.csv";
  bool gaps_changed = false;
  for (const auto& t : tables)
    if (write_panel_table(out, t, releases, restack, t == "gaps" ? centre : "") && t == "gaps") gaps_changed = true;
  if (config.gaps.region_level.empty() || (!gaps_changed && fs::exists(centre))) return;
  if (!has_centre_of_light_columns(first_line(gaps))) return;
  if (const std::string c = centre_of_light_csv(read_whole_file(gaps).value_or("")); !c.empty())
    write_file_atomically(centre, c);
}

// Incremental: a run reads only the releases new since the last (app/convergence_store).
void write_convergence_tables(const std::string& out, const RunConfig& config,
                              const std::vector<PanelRelease>& releases) {
  update_convergence_tables(out, config, releases);
}

}  // namespace nl
