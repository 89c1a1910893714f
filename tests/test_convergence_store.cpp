// The incremental convergence store (app/convergence_store): a daily run that adds one release
// reads that release's levels record only, and writes convergence.csv and growth_<level>.csv
// byte-identical to a run that computes them from every record at once — also after a release
// is redone with other values, when a unit of the balanced panel goes missing or dark, when a
// release is removed, when the settings change and when the store is damaged.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "pipeline/analysis/convergence_tables.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/app/convergence_store.hpp"
#include "pipeline/io/output_file.hpp"
#include "test_support.hpp"

using nl::testsupport::temp_dir;

namespace {

// A release's units: code → brightness (mean_area); 0 is included but dark, NaN has no valid cells.
using Units = std::vector<std::pair<std::string, double>>;

// Nine units, three per region, brightness growing at rates that differ by unit (the dim ones
// faster), so σ falls and β is negative: no fit is degenerate. `k` is the release's index.
Units units_of(int k, double wobble = 0) {
  Units u;
  const char* codes[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
  for (int i = 0; i < 9; ++i)
    u.emplace_back(codes[i], (i + 1) * std::exp((0.09 - 0.01 * i) * k) * (1 + 0.01 * ((k * 7 + i * 3) % 5)) + wobble);
  return u;
}

std::string region_of(const std::string& code) { return code < "d" ? "East" : code < "g" ? "Central" : "West"; }

nl::ReleaseLevels record(const std::string& id, const Units& units) {
  nl::ReleaseLevels r;
  r.release = id;
  r.levels.resize(1);
  r.levels[0].name = "county";
  r.region_of_level.resize(1);
  for (const auto& [code, b] : units) {
    nl::ZoneAccumulator a;
    const bool valid = !std::isnan(b);
    a.count = valid ? 1 : 0;
    a.valid_area = valid ? 10 : 0;
    a.nodata_area = valid ? 0 : 10;
    a.sum_area = valid ? 10 * b : 0;
    r.levels[0].codes.push_back(code);
    r.levels[0].acc.push_back(a);
    r.levels[0].n_units.push_back(1);
    r.region_of_level[0].push_back(region_of(code));
  }
  r.brightness_of_level = {{}};
  r.saturated_of_level = {{}};
  return r;
}

// An output folder the store works on: levels records written as a run commits them, each
// commit a new version of the release's tables (the run's is its folder's inode and finish time).
struct Out {
  std::string dir;
  std::map<std::string, int> commits;  // per release
  explicit Out(const std::string& name) : dir(temp_dir(name)) { nl::make_directories(dir + "/panel"); }
  void put(const std::string& id, const Units& units) {
    nl::make_directories(dir + "/releases/" + id);
    nl::write_file_atomically(dir + "/releases/" + id + "/" + nl::kReleaseLevelsFile,
                              nl::encode_release_levels(record(id, units)));
    ++commits[id];
  }
  // `ids` with their versions, as the run hands them to the store.
  std::vector<nl::PanelRelease> releases(const std::vector<std::string>& ids) {
    std::vector<nl::PanelRelease> r;
    for (const auto& id : ids) r.push_back({id, "commit " + std::to_string(commits[id])});
    return r;
  }
  std::string table(const std::string& name) const { return nl::read_whole_file(dir + "/panel/" + name).value_or("?"); }
};

nl::RunConfig config(bool gdp = false) {
  nl::RunConfig c;
  c.min_valid_fraction = 0.5;
  c.convergence.enabled = true;
  c.convergence.levels = {"county"};
  c.convergence.region_dummies = true;
  if (gdp) {
    c.convergence.gdp_path = "gdp.csv";
    for (int year = 2001; year <= 2012; ++year)
      for (const char* code : {"a", "b", "c", "d", "e"})
        c.convergence.gdp[{code, year}] = 100.0 * (code[0] - 'a' + 1) + year;
  }
  return c;
}

std::vector<std::string> years(int from, int to) {
  std::vector<std::string> ids;
  for (int y = from; y <= to; ++y) ids.push_back(std::to_string(y));
  return ids;
}

// The tables a from-scratch run writes over `ids` of `incremental`'s records: a fresh folder with
// the same records, no store, every record decoded.
void check_same_as_from_scratch(const Out& incremental, const std::vector<std::string>& ids, const nl::RunConfig& c) {
  Out scratch(incremental.dir.substr(incremental.dir.rfind('/') + 1) + "-scratch");
  for (const auto& id : ids) {
    nl::make_directories(scratch.dir + "/releases/" + id);
    std::filesystem::copy_file(incremental.dir + "/releases/" + id + "/" + nl::kReleaseLevelsFile,
                               scratch.dir + "/releases/" + id + "/" + nl::kReleaseLevelsFile);
  }
  const nl::ConvergenceUpdate u = nl::update_convergence_tables(scratch.dir, c, scratch.releases(ids));
  CHECK(u.rebuilt);
  CHECK(u.records_decoded == ids.size());
  for (const char* t : {"convergence.csv", "growth_county.csv"}) {
    INFO(t);
    CHECK(incremental.table(t) == scratch.table(t));
  }
}

// The cells of convergence.csv's row of `kind` (and release, for σ).
std::vector<std::string> row(const std::string& csv, const std::string& kind, const std::string& release,
                             const std::string& term) {
  std::istringstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    const auto cells = nl::split_csv_line(line);
    if (cells.size() > 3 && cells[1] == kind && cells[2] == release && cells[3] == term) return cells;
  }
  return {};
}

}  // namespace

TEST_CASE("convergence store: run by run, each new release decodes its record only and the tables equal a from-scratch run") {
  Out out("conv-store-daily");
  const auto c = config();
  const auto ids = years(2001, 2010);
  for (size_t k = 0; k < ids.size(); ++k) {
    out.put(ids[k], units_of(static_cast<int>(k)));
    const std::vector<std::string> so_far(ids.begin(), ids.begin() + static_cast<long>(k) + 1);
    const nl::ConvergenceUpdate u = nl::update_convergence_tables(out.dir, c, out.releases(so_far));
    // One record (the new release's), no stored part of an older release, no rebuild after the first.
    CHECK(u.records_decoded == 1);
    CHECK(u.parts_read == 0);
    CHECK(u.rebuilt == (k == 0));
    if (k == 2 || k + 1 == ids.size()) check_same_as_from_scratch(out, so_far, c);
  }
  // Independently of the store: σ of the last release is the population sd of ln brightness over
  // the nine units (all valid in every release), and n = 9, none left out.
  const Units last = units_of(9);
  double mean = 0, ss = 0;
  for (const auto& [code, b] : last) mean += std::log(b) / 9;
  for (const auto& [code, b] : last) ss += (std::log(b) - mean) * (std::log(b) - mean);
  const auto sigma = row(out.table("convergence.csv"), "sigma", "2010", "sd_log_brightness");
  REQUIRE(sigma.size() == 12);
  CHECK(std::stod(sigma[4]) == doctest::Approx(std::sqrt(ss / 9)).epsilon(1e-12));
  CHECK(sigma[8] == "9");
  CHECK(sigma[9] == "0");
  // A run with nothing new reads nothing but the state.
  const nl::ConvergenceUpdate again = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK(again.records_decoded == 0);
  CHECK(again.parts_read == 0);
  CHECK_FALSE(again.rebuilt);
  check_same_as_from_scratch(out, ids, c);
}

TEST_CASE("convergence store: a redone release, a unit gone missing or dark, a removed release: rebuilt as from scratch") {
  Out out("conv-store-changes");
  const auto c = config();
  auto ids = years(2001, 2005);
  for (size_t k = 0; k < ids.size(); ++k) out.put(ids[k], units_of(static_cast<int>(k)));
  nl::update_convergence_tables(out.dir, c, out.releases(ids));

  // 2003 redone with other values: only its record is decoded, the other four come from parts.
  out.put("2003", units_of(2, 0.5));
  nl::ConvergenceUpdate u = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK(u.rebuilt);
  CHECK(u.records_decoded == 1);
  CHECK(u.parts_read == 4);
  check_same_as_from_scratch(out, ids, c);

  // 2006 lacks unit c: c leaves the balanced panel, so every σ changes (n 9 → 8, one left out).
  Units without_c = units_of(5);
  without_c.erase(without_c.begin() + 2);
  out.put("2006", without_c);
  ids.push_back("2006");
  u = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK(u.rebuilt);
  CHECK(u.records_decoded == 1);
  CHECK(u.parts_read == 6);  // the five before, and 2006's own part written a moment before
  CHECK(row(out.table("convergence.csv"), "sigma", "2001", "sd_log_brightness")[8] == "8");
  check_same_as_from_scratch(out, ids, c);

  // 2007 has unit e dark (included, no light): out of the panel too. A new unit x appears: it is
  // left out (missing before), which needs no rebuild on its own but e forces one here.
  Units dark_e = units_of(6);
  dark_e[4].second = 0;
  dark_e.erase(dark_e.begin() + 2);
  dark_e.emplace_back("x", 3.0);
  out.put("2007", dark_e);
  ids.push_back("2007");
  u = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK(u.rebuilt);
  const auto sigma = row(out.table("convergence.csv"), "sigma", "2007", "sd_log_brightness");
  CHECK(sigma[8] == "7");  // a, b, d, f, g, h, i
  CHECK(sigma[9] == "3");  // c, e, x
  check_same_as_from_scratch(out, ids, c);

  // 2008 with a new unit y, and without x (out of the panel already): appended without a
  // rebuild; y is left out.
  Units with_y = units_of(7);
  with_y.erase(with_y.begin() + 2);
  with_y.emplace_back("y", 2.0);
  out.put("2008", with_y);
  ids.push_back("2008");
  u = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK_FALSE(u.rebuilt);
  CHECK(u.records_decoded == 1);
  CHECK(row(out.table("convergence.csv"), "sigma", "2008", "sd_log_brightness")[9] == "4");
  check_same_as_from_scratch(out, ids, c);

  // 2004 removed: rebuilt from the remaining parts, no record decoded.
  ids.erase(ids.begin() + 3);
  u = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK(u.rebuilt);
  CHECK(u.records_decoded == 0);
  CHECK(u.parts_read == ids.size());
  CHECK_FALSE(std::filesystem::exists(out.dir + "/panel/.convergence/releases/2004.v1.cbor"));
  check_same_as_from_scratch(out, ids, c);
}

TEST_CASE("convergence store: other settings or a damaged store rebuild from the records, and the GDP elasticity pools every release") {
  Out out("conv-store-settings");
  auto c = config(true);
  const auto ids = years(2001, 2006);
  for (size_t k = 0; k < ids.size(); ++k) {
    out.put(ids[k], units_of(static_cast<int>(k)));
    const std::vector<std::string> so_far(ids.begin(), ids.begin() + static_cast<long>(k) + 1);
    nl::update_convergence_tables(out.dir, c, out.releases(so_far));
  }
  // With GDP every release's values are read (from parts), and the tables still equal a fresh run's:
  // 5 units with GDP × 6 releases pooled, the 6 pairs of each of f, g, h, i left out.
  const auto gdp = row(out.table("convergence.csv"), "gdp_elasticity", "", "log_total_light");
  REQUIRE(gdp.size() == 12);
  CHECK(gdp[8] == "30");
  CHECK(gdp[9] == "24");
  check_same_as_from_scratch(out, ids, c);

  // Another min_valid_fraction: every stored value may differ, so every record is read again.
  c.min_valid_fraction = 0.25;
  nl::ConvergenceUpdate u = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK(u.rebuilt);
  CHECK(u.records_decoded == ids.size());
  check_same_as_from_scratch(out, ids, c);

  // A state cut short (a crash, a full disk): not trusted, rebuilt from the parts.
  const std::string state = out.dir + "/panel/.convergence/state.v1.cbor";
  const std::string bytes = nl::read_whole_file(state).value();
  nl::write_file_atomically(state, bytes.substr(0, bytes.size() / 2));
  u = nl::update_convergence_tables(out.dir, c, out.releases(ids));
  CHECK(u.rebuilt);
  CHECK(u.records_decoded == 0);
  check_same_as_from_scratch(out, ids, c);
}
