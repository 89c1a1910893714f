// The panel, convergence tables and GeoPackages (see panel_outputs.hpp).
#include "pipeline/app/panel_outputs.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

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

// What the panel of one table holds, kept beside it (panel/.<table>.stacked): one line per
// release stacked, "<id> <version> <panel size>" (PanelRelease: its folder's inode and its
// tables' finish time, known from the manifest and one listing of releases/; the panel file's
// size once that release's rows were in it). A daily run whose releases so far are unchanged
// (same ids, same versions, in order) appends the new releases' rows to the panel and their lines
// to this file instead of re-stacking and rewriting the whole history, and it learns that
// without a system call per release, so one new release costs the same with 10 releases behind
// it as with 10,000. An append cut short (a crash) leaves a last size that is not the panel's, or
// a last line without its newline: the next run stacks the panel whole.
struct Stacked {
  Stacked() = default;
  Stacked(const Stacked&) = delete;  // its lines point into its own text
  std::string text;                     // the file
  int64_t panel_size = -1;              // the last line's: the panel's size when it was written
  std::vector<std::string_view> lines;  // "<id> <version>", into `text`
};

std::string stacked_line(const PanelRelease& r) { return r.id + " " + r.version; }

bool is_stacked_line(std::string_view line, const PanelRelease& r) {
  return line.size() == r.id.size() + 1 + r.version.size() && line.starts_with(r.id) && line[r.id.size()] == ' ' &&
         line.ends_with(r.version);
}

// Into `s` (filled in place: its lines point into its text); left empty (stack the panel whole)
// when the file is missing, damaged, cut short, or in the form before this one (the panel's size
// on a first line of its own).
void read_stacked(const std::string& path, Stacked& s) {
  s.text = read_whole_file(path).value_or("");
  const std::string_view text = s.text;
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find('\n', at);
    const size_t space = end == std::string::npos ? end : text.rfind(' ', end);
    if (end == std::string::npos || space == std::string::npos || space < at) {
      s.lines.clear();
      s.panel_size = -1;
      return;
    }
    s.lines.push_back(text.substr(at, space - at));
    s.panel_size = std::atoll(text.data() + space + 1);
    at = end + 1;
  }
}

// One table's rows from each of `releases` (from `from` on), the header only when `header`;
// `sizes` gets the panel's size after each release, `base` being its size before them.
std::string stacked_rows(const std::string& out, const std::string& t, const std::vector<PanelRelease>& releases,
                         size_t from, bool header, int64_t base, std::vector<int64_t>& sizes) {
  std::string panel;
  for (size_t i = from; i < releases.size(); ++i) {
    std::ifstream in(out + "/releases/" + releases[i].id + "/" + t + ".csv", std::ios::binary);
    std::string line;
    bool first = true;
    while (in && std::getline(in, line)) {
      if (first) {
        first = false;
        if (!header) continue;  // one header
        header = false;
      }
      panel += line + "\n";
    }
    sizes.push_back(base + static_cast<int64_t>(panel.size()));
  }
  return panel;
}

// The stamp lines of `releases` from `from` on, each with the panel's size after it.
std::string stamp_lines(const std::vector<PanelRelease>& releases, size_t from, const std::vector<int64_t>& sizes) {
  std::string lines;
  for (size_t i = from; i < releases.size(); ++i)
    lines += stacked_line(releases[i]) + " " + std::to_string(sizes[i - from]) + "\n";
  return lines;
}

void append_to(const std::string& path, const std::string& text, const char* what) {
  std::ofstream app(path, std::ios::binary | std::ios::app);
  app.write(text.data(), static_cast<std::streamsize>(text.size()));
  app.close();
  if (!app) throw UserError(path + ": cannot append to the " + what + " (disk full?)");
}

// The panel of table `t` over `releases`: appended to when it holds a prefix of them unchanged
// (unless `restack`), else written whole (to a temporary, renamed). `derived`, a table computed
// from this panel, is removed before the panel changes (a run stopped between the two leaves
// none, and the next run computes it). Returns whether the panel changed.
bool write_panel_table(const std::string& out, const std::string& t, const std::vector<PanelRelease>& releases,
                       bool restack, const std::string& derived) {
  const std::string panel = out + "/panel/" + t + ".csv", stamp = out + "/panel/." + t + ".stacked";
  Stacked old;
  if (!restack) read_stacked(stamp, old);
  std::error_code ec;
  const auto size = fs::file_size(panel, ec);
  bool prefix = !ec && old.panel_size == static_cast<int64_t>(size) && !old.lines.empty() &&
                old.lines.size() <= releases.size();
  for (size_t i = 0; prefix && i < old.lines.size(); ++i) prefix = is_stacked_line(old.lines[i], releases[i]);
  if (prefix && old.lines.size() == releases.size()) return false;  // nothing new
  if (!derived.empty()) fs::remove(derived, ec);
  const size_t from = prefix ? old.lines.size() : 0;
  std::vector<int64_t> sizes;
  const std::string text = stacked_rows(out, t, releases, from, !prefix, prefix ? static_cast<int64_t>(size) : 0, sizes);
  if (prefix) append_to(panel, text, "panel");
  else write_file_atomically(panel, text);
  if (prefix) append_to(stamp, stamp_lines(releases, from, sizes), "panel's stamp");
  else write_file_atomically(stamp, stamp_lines(releases, 0, sizes));
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
