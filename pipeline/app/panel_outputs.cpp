// The panel, convergence tables and GeoPackages (see panel_outputs.hpp).
#include "pipeline/app/panel_outputs.hpp"

#include "pipeline/analysis/centre_of_light.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "pipeline/app/convergence_store.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/analysis/release_analysis.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

// What the panel of one table holds, kept beside it (panel/.<table>.stacked): the panel file's
// size, then one line per release stacked, "<id> <size> <mtime_ns>" of its release table. A
// daily run whose releases so far are unchanged (same ids, same table stamps, in order) appends
// the new releases' rows instead of re-stacking the whole history, so one new release costs the
// same with 10 releases behind it as with 10,000.
struct Stacked {
  int64_t panel_size = -1;
  std::vector<std::string> lines;  // "<id> <size> <mtime_ns>"
};

// One stat per table (size and mtime together), by its path in the releases folder (open as
// `releases_fd`): a run stamps every release's tables, and the kernel then walks two names, not
// the whole path, for each of them.
std::string stamp_line(const std::string& id, const std::string& table, int releases_fd) {
  struct stat st {};
  if (::fstatat(releases_fd, (id + "/" + table + ".csv").c_str(), &st, 0) != 0) return "";
  // On the file clock, as fs::last_write_time gave it: stamps written before stay valid.
  using namespace std::chrono;
  const sys_time<nanoseconds> mtime{seconds(st.st_mtim.tv_sec) + nanoseconds(st.st_mtim.tv_nsec)};
  const auto on_file_clock = duration_cast<nanoseconds>(file_clock::from_sys(mtime).time_since_epoch()).count();
  return id + " " + std::to_string(st.st_size) + " " + std::to_string(on_file_clock);
}

Stacked read_stacked(const std::string& path) {
  Stacked s;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return s;
  s.panel_size = std::atoll(line.c_str());
  while (std::getline(in, line)) s.lines.push_back(line);
  return s;
}

// One table's rows from each of `ids` (from `from` on), the header only when `header`.
std::string stacked_rows(const std::string& out, const std::string& t, const std::vector<std::string>& ids, size_t from,
                         bool header) {
  std::string panel;
  for (size_t i = from; i < ids.size(); ++i) {
    std::ifstream in(out + "/releases/" + ids[i] + "/" + t + ".csv", std::ios::binary);
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

// The panel of table `t` over `ids`: appended to when it holds a prefix of them unchanged, else
// written whole (to a temporary, renamed). An append cut short (a crash) leaves a size the stamp
// file does not record, so the next run writes it whole.
void write_panel_table(const std::string& out, const std::string& t, const std::vector<std::string>& ids,
                       int releases_fd) {
  const std::string panel = out + "/panel/" + t + ".csv", stamp = out + "/panel/." + t + ".stacked";
  std::vector<std::string> now;
  now.reserve(ids.size());
  for (const auto& id : ids) now.push_back(stamp_line(id, t, releases_fd));
  const Stacked old = read_stacked(stamp);
  std::error_code ec;
  const auto size = fs::file_size(panel, ec);
  const bool prefix = !ec && old.panel_size == static_cast<int64_t>(size) && !old.lines.empty() &&
                      old.lines.size() <= now.size() && std::equal(old.lines.begin(), old.lines.end(), now.begin());
  if (prefix && old.lines.size() == now.size()) return;  // nothing new
  std::string text = stacked_rows(out, t, ids, prefix ? old.lines.size() : 0, !prefix);
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
}

}  // namespace

void write_panel_tables(const std::string& out, const RunConfig& config, const std::vector<std::string>& ids) {
  if (ids.empty()) {
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
  const int releases_fd = ::open((out + "/releases").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    for (const auto& t : tables) write_panel_table(out, t, ids, releases_fd);
  } catch (...) {
    if (releases_fd >= 0) ::close(releases_fd);
    throw;
  }
  if (releases_fd >= 0) ::close(releases_fd);
  // The centre of light moves with the groups' rows of the panel's gaps table.
  if (!config.gaps.region_level.empty())
    if (const std::string c = centre_of_light_csv(read_whole_file(out + "/panel/gaps.csv").value_or("")); !c.empty())
      write_file_atomically(out + "/panel/centre_of_light.csv", c);
}

// Incremental: a run reads only the releases new since the last (app/convergence_store).
void write_convergence_tables(const std::string& out, const RunConfig& config, const std::vector<std::string>& ids) {
  update_convergence_tables(out, config, ids);
}

}  // namespace nl
