// `nightlights run CONFIG` end to end on the real monthly VIIRS series of Ayodhya (79 × 75 px,
// one 256 × 256 tile per raster, a cloud-free-count raster beside each month): releases and
// quality rasters, incremental re-runs, failures of one release, SIGTERM and resume, config
// errors, --only / --force / --dry-run.
//
// Zones are made here: a 3 × 3 grid of rectangles whose edges lie on pixel edges of the Ayodhya
// grid (columns 0–26–52–79, rows 0–25–50–75), so every cell's pixels are known exactly and a
// cell's statistics can be recomputed from the rasters with GDAL. Levels: `cell` (the zones,
// carrying `group` = c0/c1/c2, the grid column), `column` (from cell, key group) and `region`
// (from column, key id, looked up in a key,group CSV: c0 → West, c1 → Central, c2 → East); the
// gap table compares the regions' cells with East as the reference.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>
#include <numbers>
#include <set>

#include "pipeline/io/manifest.hpp"
#include "pipeline/io/temporary_files.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

// ---------------------------------------------------------------------------------------------
// Data and zones

std::string viirs_dir() { return shared_data() + "/viirs-monthly-india/raster"; }

bool have_viirs() {
  return have_shared_data() && fs::exists(viirs_dir() + "/viirs_ayodhya_2022_07_cf.tif") &&
         fs::exists(viirs_dir() + "/viirs_ayodhya_2021_01.tif");
}

#define SKIP_WITHOUT_VIIRS()                                                                  \
  if (!have_viirs()) {                                                                        \
    MESSAGE("shared data (viirs-monthly-india) not found: skipped; set NIGHTLIGHTS_SHARED_DATA"); \
    return;                                                                                   \
  }

// Built by append: GCC 12 warns falsely (-Wrestrict) on "literal" + std::to_string(v).
std::string two(int v) {
  std::string s = v < 10 ? "0" : "";
  s.append(std::to_string(v));
  return s;
}
std::string month_id(int y, int m) { return std::to_string(y) + "-" + two(m); }
std::string raster_name(int y, int m) { return "viirs_ayodhya_" + std::to_string(y) + "_" + two(m) + ".tif"; }
std::string cf_name(int y, int m) { return "viirs_ayodhya_" + std::to_string(y) + "_" + two(m) + "_cf.tif"; }
std::string shared_raster(int y, int m) { return viirs_dir() + "/" + raster_name(y, m); }
std::string shared_cf(int y, int m) { return viirs_dir() + "/" + cf_name(y, m); }

// Months [first, first + n) as (year, month).
std::vector<std::pair<int, int>> months(int year, int month, int n) {
  std::vector<std::pair<int, int>> out;
  for (int i = 0; i < n; ++i) {
    out.emplace_back(year, month);
    if (++month > 12) {
      month = 1;
      ++year;
    }
  }
  return out;
}

struct Grid {
  double x0 = 0, y0 = 0, dx = 0, dy = 0;
  int width = 0, height = 0;
};

Grid raster_grid(const std::string& path) {
  nl::configure_gdal();
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
  REQUIRE(ds != nullptr);
  double gt[6];
  REQUIRE(ds->GetGeoTransform(gt) == CE_None);
  Grid g{gt[0], gt[3], gt[1], gt[5], ds->GetRasterXSize(), ds->GetRasterYSize()};
  GDALClose(ds);
  return g;
}

std::vector<double> read_band(const std::string& path, int& width, int& height) {
  nl::configure_gdal();
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
  REQUIRE(ds != nullptr);
  width = ds->GetRasterXSize();
  height = ds->GetRasterYSize();
  std::vector<double> v(static_cast<size_t>(width) * height);
  REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, width, height, v.data(), width, height, GDT_Float64, 0, 0,
                                         nullptr) == CE_None);
  GDALClose(ds);
  return v;
}

// Pixel edges of the 3 × 3 cells.
std::vector<int> col_edges(const Grid& g) { return {0, g.width / 3, 2 * g.width / 3, g.width}; }
std::vector<int> row_edges(const Grid& g) { return {0, g.height / 3, 2 * g.height / 3, g.height}; }
std::string cell_code(int r, int c) {
  std::string s = "r";
  s.append(std::to_string(r)).append("c").append(std::to_string(c));
  return s;
}
const std::vector<std::string> kCells = {"r0c0", "r0c1", "r0c2", "r1c0", "r1c1", "r1c2", "r2c0", "r2c1", "r2c2"};
constexpr size_t kNCells = 9;

void write_zones(const std::string& dir, const Grid& g) {
  const auto cols = col_edges(g), rows = row_edges(g);
  std::ostringstream s;
  s.precision(17);
  s << "{\"type\":\"FeatureCollection\",\"features\":[";
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      const double xa = g.x0 + cols[c] * g.dx, xb = g.x0 + cols[c + 1] * g.dx;
      const double ya = g.y0 + rows[r] * g.dy, yb = g.y0 + rows[r + 1] * g.dy;
      s << (r || c ? "," : "") << "{\"type\":\"Feature\",\"properties\":{\"id\":\"" << cell_code(r, c)
        << "\",\"group\":\"c" << c << "\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[" << xa << ","
        << ya << "],[" << xb << "," << ya << "],[" << xb << "," << yb << "],[" << xa << "," << yb << "],[" << xa
        << "," << ya << "]]]}}";
    }
  s << "]}";
  write_text(dir + "/cells.geojson", s.str());
  write_text(dir + "/regions.csv", "key,group\nc0,West\nc1,Central\nc2,East\n");
}

// The run configuration; `files` are globs or paths (relative ones resolve against `dir`).
std::string config_text(const std::vector<std::string>& files, const std::string& out, const std::string& extra = "") {
  std::string list;
  for (size_t i = 0; i < files.size(); ++i) list += (i ? ", \"" : "\"") + files[i] + "\"";
  return "releases:\n"
         "  files: [" + list + "]\n"
         "  pattern: \"viirs_ayodhya_{year}_{month}.tif\"\n"
         "  units: nW/cm2/sr\n"
         "  quality: {template: \"{stem}_cf.tif\", min_count: 1}\n"
         "preprocess: {negatives: zero}\n"
         "zones:\n"
         "  cells: {path: cells.geojson, id_field: id, fields: [group]}\n"
         "levels:\n"
         "  - {name: cell, zones: cells}\n"
         "  - {name: column, from: cell, key: group}\n"
         "  - {name: region, from: column, key: id, lookup: regions.csv}\n"
         "gaps: {level: cell, region_level: region, reference: East}\n"
         "output: {directory: " + out + "}\n"
         "threads: 1\n" + extra;
}

// One test's folder: zones, lookup, configs, copied releases and outputs.
struct Batch {
  std::string dir;
  Grid grid;
  explicit Batch(const std::string& name) : dir(temp_dir(name)), grid(raster_grid(shared_raster(2021, 1))) {
    write_zones(dir, grid);
  }
  std::string config(const std::string& name, const std::vector<std::string>& files, const std::string& out,
                     const std::string& extra = "") const {
    const std::string path = dir + "/" + name;
    write_text(path, config_text(files, out, extra));
    return path;
  }
  // Copies a month's raster and quality raster into dir/rel (writable copies).
  void copy_month(int y, int m) const {
    fs::create_directories(dir + "/rel");
    const std::pair<std::string, std::string> files[] = {{shared_raster(y, m), raster_name(y, m)},
                                                          {shared_cf(y, m), cf_name(y, m)}};
    for (const auto& [from, to] : files) {
      const std::string dest = dir + "/rel/" + to;
      fs::copy_file(from, dest, fs::copy_options::overwrite_existing);
      fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
    }
  }
  std::string rel(const std::string& name) const { return dir + "/rel/" + name; }
  std::string out(const std::string& name) const { return dir + "/" + name; }
};

CommandResult run_batch(const std::string& config, const std::string& flags = "") {
  return nightlights("run '" + config + "' " + flags);
}

// An environment variable for the commands run while this is alive (popen inherits it); going
// through testsupport::nightlights keeps its other settings (the test's coverage cache folder).
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) { setenv(name.c_str(), value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
};

std::string summary(size_t processed, size_t unchanged, size_t failed) {
  return std::to_string(processed) + " release(s) processed, " + std::to_string(unchanged) + " unchanged, " +
         std::to_string(failed) + " failed";
}

// ---------------------------------------------------------------------------------------------
// Reading outputs

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  size_t col(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE_MESSAGE(it != header.end(), "no column " << name);
    return static_cast<size_t>(it - header.begin());
  }
  const std::string& at(size_t row, const std::string& name) const { return rows.at(row).at(col(name)); }
  double num(size_t row, const std::string& name) const { return std::stod(at(row, name)); }
  size_t row_where(const std::string& column, const std::string& value) const {
    const size_t c = col(column);
    for (size_t r = 0; r < rows.size(); ++r)
      if (rows[r].at(c) == value) return r;
    FAIL("no row with " << column << " = " << value);
    return 0;
  }
};

// The row of convergence.csv holding a fit's coefficient.
size_t fit_row(const Csv& conv, const std::string& kind, const std::string& term) {
  for (size_t i = 0; i < conv.rows.size(); ++i)
    if (conv.at(i, "kind") == kind && conv.at(i, "term") == term) return i;
  FAIL("no " << kind << " row for " << term);
  return 0;
}

// Slope of y on x with an intercept (closed form, one regressor) and its HC1 standard error,
// n/(n−2) · Σ (xᵢ−x̄)² eᵢ² / Sxx²: the independent check of the tool's Eigen QR fits.
struct SlopeAndSe {
  double slope, se_hc1;
};
SlopeAndSe closed_form_ols(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  double xm = 0, ym = 0;
  for (size_t i = 0; i < n; ++i) {
    xm += x[i] / n;
    ym += y[i] / n;
  }
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - xm) * (x[i] - xm);
    sxy += (x[i] - xm) * (y[i] - ym);
  }
  const double slope = sxy / sxx, intercept = ym - slope * xm;
  double meat = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = y[i] - intercept - slope * x[i];
    meat += (x[i] - xm) * (x[i] - xm) * e * e;
  }
  return {slope, std::sqrt(static_cast<double>(n) / (n - 2) * meat / (sxx * sxx))};
}

Csv read_csv(const std::string& path) {
  Csv t;
  for (auto& cells : csv_lines(path)) {
    if (t.header.empty()) t.header = std::move(cells);
    else t.rows.push_back(std::move(cells));
  }
  return t;
}

size_t line_count(const std::string& path) {
  const std::string s = read_file(path);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Release folders (not the hidden staging ones), sorted.
std::vector<std::string> release_folders(const std::string& out) {
  std::vector<std::string> ids;
  if (!fs::exists(out + "/releases")) return ids;
  for (const auto& e : fs::directory_iterator(out + "/releases"))
    if (e.is_directory() && e.path().filename().string()[0] != '.') ids.push_back(e.path().filename().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

struct FileState {
  std::string bytes;
  fs::file_time_type mtime;
  bool operator==(const FileState&) const = default;
};

// Every regular file under `root` (relative path → bytes and mtime), optionally only *.csv.
std::map<std::string, FileState> snapshot(const std::string& root, bool csv_only = false) {
  std::map<std::string, FileState> files;
  if (!fs::exists(root)) return files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    if (csv_only && e.path().extension() != ".csv") continue;
    files[fs::relative(e.path(), root).string()] = {read_file(e.path().string()), e.last_write_time()};
  }
  return files;
}

// Names under `root` containing `part` (leftover staging folders, temporaries).
std::vector<std::string> names_containing(const std::string& root, const std::string& part) {
  std::vector<std::string> hits;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().filename().string().find(part) != std::string::npos) hits.push_back(e.path().string());
  return hits;
}

int64_t mtime_ns(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

size_t line_number(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

// =============================================================================================

TEST_CASE("run: 24 months of one India region with quality rasters") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-24-months");
  const size_t shared_entries_before =
      static_cast<size_t>(std::distance(fs::directory_iterator(viirs_dir()), fs::directory_iterator{}));
  // Straight from the shared (read-only) folder: the globs match the _cf files too; the pattern
  // skips them.
  const std::string cfg = b.config("run.yaml", {viirs_dir() + "/viirs_ayodhya_2021_*.tif",
                                                viirs_dir() + "/viirs_ayodhya_2022_*.tif"}, "out");
  const std::string out = b.out("out");
  const auto r = run_batch(cfg);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.output, summary(24, 0, 0)));

  // Nothing was written beside the shared rasters (no .aux.xml or the like).
  CHECK(static_cast<size_t>(std::distance(fs::directory_iterator(viirs_dir()), fs::directory_iterator{})) ==
        shared_entries_before);

  // One folder per month, each with every level's table, the gap table and provenance.
  std::vector<std::string> expected_ids;
  for (auto [y, m] : months(2021, 1, 24)) expected_ids.push_back(month_id(y, m));
  REQUIRE(release_folders(out) == expected_ids);
  for (const auto& id : expected_ids) {
    CAPTURE(id);
    for (const char* f : {"cell.csv", "column.csv", "region.csv", "gaps.csv", "provenance.json"})
      CHECK(fs::exists(out + "/releases/" + id + "/" + f));
    const Csv cells = read_csv(out + "/releases/" + id + "/cell.csv");
    REQUIRE(cells.rows.size() == kNCells);
    for (size_t u = 0; u < kNCells; ++u) {
      CHECK(cells.at(u, "release") == id);  // the release column names its folder
      CHECK(cells.at(u, "code") == kCells[u]);
    }
    CHECK(read_csv(out + "/releases/" + id + "/region.csv").rows.size() == 3);
    CHECK(read_csv(out + "/releases/" + id + "/gaps.csv").rows.size() == 5);  // East, Central, West, Northeast, all
  }

  // Panels: one header, then the releases' rows in release order — exactly the folders' tables.
  CHECK(line_count(out + "/panel/cell.csv") == 24 * kNCells + 1);
  CHECK(line_count(out + "/panel/column.csv") == 24 * 3 + 1);
  CHECK(line_count(out + "/panel/region.csv") == 24 * 3 + 1);
  CHECK(line_count(out + "/panel/gaps.csv") == 24 * 5 + 1);
  for (const char* table : {"cell", "column", "region", "gaps"}) {
    std::string expected;
    for (const auto& id : expected_ids) {
      const std::string t = read_file(out + "/releases/" + id + "/" + table + ".csv");
      expected += expected.empty() ? t : t.substr(t.find('\n') + 1);
    }
    CHECK_MESSAGE(read_file(out + "/panel/" + std::string(table) + ".csv") == expected, table);
  }
  {
    const Csv panel = read_csv(out + "/panel/cell.csv");
    for (size_t row = 0; row < panel.rows.size(); ++row) CHECK(panel.at(row, "release") == expected_ids[row / kNCells]);
  }

  // The manifest: 24 releases, all done, with both inputs hashed.
  const nl::Manifest manifest = nl::load_manifest(out + "/manifest.yaml");
  CHECK(manifest.units == "nW/cm2/sr");
  CHECK(manifest.releases.size() == 24);
  for (const auto& [id, rec] : manifest.releases) {
    CAPTURE(id);
    CHECK(rec.state == "done");
    REQUIRE(rec.inputs.size() == 2);
    CHECK(rec.inputs[1].path == shared_cf(std::stoi(id.substr(0, 4)), std::stoi(id.substr(5, 2))));
    CHECK(rec.inputs[0].sha256.size() == 64);
  }

  // Pixel counts of each cell (cells lie on pixel edges: 26 × 25 = 650 or 27 × 25 = 675).
  const auto cols = col_edges(b.grid), rows = row_edges(b.grid);
  auto cell_pixels = [&](int r, int c) { return double((cols[c + 1] - cols[c]) * (rows[r + 1] - rows[r])); };
  CHECK(cell_pixels(0, 0) == 650);
  CHECK(cell_pixels(2, 2) == 675);

  {  // 2022-07 is masked everywhere: every cell has no valid pixel, and the run goes on.
    // Its cf raster is all 0 (= nodata), so the quality rule turns every pixel into no data.
    const Csv cells = read_csv(out + "/releases/2022-07/cell.csv");
    for (size_t u = 0; u < kNCells; ++u) {
      CAPTURE(kCells[u]);
      CHECK(cells.at(u, "count") == "0");
      CHECK(cells.num(u, "nodata_count") == doctest::Approx(cell_pixels(int(u / 3), int(u % 3))).epsilon(1e-9));
      CHECK(cells.at(u, "valid_fraction") == "0");
      CHECK(cells.at(u, "included") == "0");
      for (const char* undefined : {"mean", "mean_area", "min", "max", "stdev", "gap_to_reference"})
        CHECK_MESSAGE(cells.at(u, undefined).empty(), undefined);
      CHECK(cells.at(u, "sum") == "0");
    }
    const Csv gaps = read_csv(out + "/releases/2022-07/gaps.csv");
    for (const char* g : {"East", "Central", "West"}) {
      const size_t row = gaps.row_where("group", g);
      CHECK(gaps.at(row, "units_counted") == "0");
      CHECK(gaps.at(row, "units_left_out") == "3");
      CHECK(gaps.at(row, "mean_area").empty());
    }
    const size_t all = gaps.row_where("group", "all");
    CHECK(gaps.at(all, "units_counted") == "0");
    CHECK(gaps.at(all, "units_left_out") == "9");
    CHECK(manifest.releases.at("2022-07").state == "done");
  }

  {  // 2021-07 is cloudy: per cell, valid pixels are those with a cloud-free count >= 1.
    // gdalinfo -stats on viirs_ayodhya_2021_07_cf.tif: STATISTICS_VALID_PERCENT=74.58 with nodata
    // 0, i.e. about a quarter of the pixels have no cloud-free observation.
    int w = 0, h = 0, wq = 0, hq = 0;
    const auto values = read_band(shared_raster(2021, 7), w, h);
    const auto quality = read_band(shared_cf(2021, 7), wq, hq);
    REQUIRE(w == b.grid.width);
    REQUIRE(h == b.grid.height);
    REQUIRE(wq == w);
    REQUIRE(hq == h);
    const Csv cells = read_csv(out + "/releases/2021-07/cell.csv");
    double masked_total = 0, nodata_total = 0;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const size_t u = static_cast<size_t>(r * 3 + c);
        CAPTURE(kCells[u]);
        double count = 0, masked = 0, sum = 0, lo = INFINITY, hi = -INFINITY;
        for (int y = rows[r]; y < rows[r + 1]; ++y)
          for (int x = cols[c]; x < cols[c + 1]; ++x) {
            const size_t i = static_cast<size_t>(y) * w + x;
            if (quality[i] < 1) {
              ++masked;
              continue;
            }
            const double v = std::max(values[i], 0.0);  // negatives: zero
            ++count;
            sum += v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
          }
        masked_total += masked;
        nodata_total += cells.num(u, "nodata_count");
        CHECK(cells.num(u, "count") == doctest::Approx(count).epsilon(1e-9));
        CHECK(cells.num(u, "nodata_count") == doctest::Approx(masked).epsilon(1e-9));
        CHECK(cells.num(u, "sum") == doctest::Approx(sum).epsilon(1e-9));
        if (count > 0) {
          CHECK(cells.num(u, "min") == doctest::Approx(lo).epsilon(1e-12));
          CHECK(cells.num(u, "max") == doctest::Approx(hi).epsilon(1e-12));
        }
      }
    CHECK(masked_total > 1000);  // ~25 % of 5925 pixels: a month where quality matters
    CHECK(nodata_total == doctest::Approx(masked_total).epsilon(1e-9));
  }

  {  // count + nodata_count equals a plain zonal run's count (quality only moves cells to no data).
    for (auto [y, m] : {std::pair{2021, 7}, std::pair{2021, 1}}) {
      const std::string id = month_id(y, m);
      CAPTURE(id);
      const std::string zonal_out = b.dir + "/zonal-" + id + ".csv";
      const auto z = nightlights("zonal -q -r '" + shared_raster(y, m) + "' -p '" + b.dir +
                                 "/cells.geojson' -f id -s count,nodata_count -o '" + zonal_out + "'");
      INFO(z.output);
      REQUIRE(z.exit_code == 0);
      const Csv zonal = read_csv(zonal_out);
      const Csv cells = read_csv(out + "/releases/" + id + "/cell.csv");
      double nodata = 0;
      for (size_t u = 0; u < kNCells; ++u) {
        const size_t zr = zonal.row_where("id", kCells[u]);
        CHECK(zonal.num(zr, "nodata_count") == 0);  // the radiance raster has no nodata
        CHECK(cells.num(u, "count") + cells.num(u, "nodata_count") ==
              doctest::Approx(zonal.num(zr, "count")).epsilon(1e-9));
        nodata += cells.num(u, "nodata_count");
      }
      // 2021-01's cf minimum is 13: nothing masked. 2021-07 is cloudy.
      if (m == 1) CHECK(nodata == 0);
      else CHECK(nodata > 1000);
    }
  }
}

TEST_CASE("run: adding one release processes exactly that release") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-add-one");
  const auto all = months(2021, 1, 24);
  for (size_t i = 0; i + 1 < all.size(); ++i) b.copy_month(all[i].first, all[i].second);
  // A relative glob: resolved against the config's folder, not the working directory.
  const std::string cfg = b.config("run.yaml", {"rel/viirs_ayodhya_*.tif"}, "out");
  const std::string out = b.out("out");

  auto r = run_batch(cfg);
  {
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.output, summary(23, 0, 0)));
  }
  REQUIRE(release_folders(out).size() == 23);
  CHECK(line_count(out + "/panel/cell.csv") == 23 * kNCells + 1);
  const auto before = snapshot(out + "/releases", true);
  CHECK(before.size() == 23 * 4);  // cell, column, region, gaps

  // The 24th month arrives.
  b.copy_month(2022, 12);
  r = run_batch(cfg);
  {
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.output, summary(1, 23, 0)));
    CHECK(contains(r.output, "release 2022-12 (24/24, new)"));
    for (auto [y, m] : std::vector(all.begin(), all.end() - 1))
      CHECK_FALSE(contains(r.output, "release " + month_id(y, m) + " ("));
  }
  const nl::Manifest manifest = nl::load_manifest(out + "/manifest.yaml");
  CHECK(manifest.releases.size() == 24);
  for (const auto& [id, rec] : manifest.releases) CHECK_MESSAGE(rec.state == "done", id);
  CHECK(release_folders(out).size() == 24);
  CHECK(line_count(out + "/panel/cell.csv") == 24 * kNCells + 1);  // grew by one release's 9 cells
  CHECK(line_count(out + "/panel/gaps.csv") == 24 * 5 + 1);
  {
    // Earlier releases' tables: not rewritten (same bytes, same mtime).
    const auto after = snapshot(out + "/releases", true);
    CHECK(after.size() == 24 * 4);
    for (const auto& [path, state] : before) {
      CAPTURE(path);
      REQUIRE(after.count(path));
      CHECK(after.at(path).bytes == state.bytes);
      CHECK(after.at(path).mtime == state.mtime);
    }
  }

  // Nothing new: nothing processed.
  r = run_batch(cfg);
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(0, 24, 0)));
  }

  // A raster touched (new mtime, same bytes): its content hash is unchanged, so it is not redone.
  const std::string touched = b.rel(raster_name(2021, 5));
  const auto tables_before_touch = snapshot(out + "/releases", true);
  fs::last_write_time(touched, fs::last_write_time(touched) + std::chrono::hours(1));
  r = run_batch(cfg);
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(0, 24, 0)));
    CHECK(snapshot(out + "/releases", true) == tables_before_touch);
  }
  {
    // "touched, not changed: remember the new mtime" (batch_run.cpp): the manifest should hold
    // the new mtime, or every later run hashes the file again.
    const nl::Manifest m = nl::load_manifest(out + "/manifest.yaml");
    REQUIRE(m.releases.count("2021-05"));
    REQUIRE(!m.releases.at("2021-05").inputs.empty());
    CHECK_MESSAGE(m.releases.at("2021-05").inputs[0].mtime_ns == mtime_ns(touched),
                  "the touched raster's new mtime is not saved in manifest.yaml when no release is processed");
  }

  // A raster whose content changes: --dry-run lists it as changed and writes nothing …
  const std::string changed = b.rel(raster_name(2021, 3));
  const std::string old_sha = nl::load_manifest(out + "/manifest.yaml").releases.at("2021-03").inputs.at(0).sha256;
  fs::copy_file(shared_raster(2020, 3), changed, fs::copy_options::overwrite_existing);
  const auto whole_output = snapshot(out);
  r = run_batch(cfg, "--dry-run");
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "release\taction\traster\tquality\n"));
    CHECK(contains(r.output, "2021-03\tchanged\t" + changed + "\t" + b.rel(cf_name(2021, 3)) + "\n"));
    CHECK(contains(r.output, "2021-04\tunchanged\t"));
    CHECK(contains(r.output, "2021-05\tunchanged\t"));
    CHECK(contains(r.output, "dry run: 24 release(s), 1 would be processed; nothing written"));
    CHECK(snapshot(out) == whole_output);
  }
  {
    // … also into a folder that does not exist yet.
    const std::string fresh_cfg = b.config("fresh.yaml", {"rel/viirs_ayodhya_*.tif"}, "fresh-out");
    r = run_batch(fresh_cfg, "--dry-run");
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "2022-12\tnew\t"));
    CHECK(contains(r.output, "dry run: 24 release(s), 24 would be processed; nothing written"));
    CHECK_FALSE(fs::exists(b.out("fresh-out")));
  }
  // … and the real run redoes just that release, recording the previous hash.
  r = run_batch(cfg);
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(1, 23, 0)));
    CHECK(contains(r.output, "release 2021-03 (3/24, changed)"));
  }
  const auto after_change = snapshot(out + "/releases", true);
  for (const auto& [path, state] : tables_before_touch) {
    CAPTURE(path);
    if (path.rfind("2021-03/", 0) == 0) continue;
    CHECK(after_change.at(path) == state);
  }
  CHECK(after_change.at("2021-03/cell.csv").bytes != tables_before_touch.at("2021-03/cell.csv").bytes);
  const std::string prov = read_file(out + "/releases/2021-03/provenance.json");
  CHECK(contains(prov, "\"action\": \"changed\""));
  CHECK(contains(prov, "\"reprocessed_previous_sha256\": \"" + old_sha + "\""));
}

TEST_CASE("run: a truncated release fails alone") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-truncated");
  for (auto [y, m] : months(2021, 5, 4)) b.copy_month(y, m);  // 2021-05 … 2021-08
  const std::string cfg = b.config("run.yaml", {"rel/viirs_ayodhya_*.tif"}, "out");
  const std::string out = b.out("out");
  const std::string bad = b.rel(raster_name(2021, 7));
  fs::resize_file(bad, fs::file_size(bad) / 2);

  auto r = run_batch(cfg);
  {
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.output, "release 2021-07 failed: "));
    CHECK(contains(r.output, summary(3, 0, 1) + " (2021-07)"));
    CHECK(contains(r.output, "nightlights: error: 1 release(s) failed; see " + out + "/manifest.yaml"));
  }
  CHECK(release_folders(out) == std::vector<std::string>{"2021-05", "2021-06", "2021-08"});
  for (const char* id : {"2021-05", "2021-06", "2021-08"}) CHECK(fs::exists(out + "/releases/" + id + "/cell.csv"));
  CHECK(names_containing(out, ".partial-").empty());
  CHECK(names_containing(out, ".tmp.").empty());
  {
    const nl::Manifest m = nl::load_manifest(out + "/manifest.yaml");
    REQUIRE(m.releases.count("2021-07"));
    CHECK(m.releases.at("2021-07").state == "failed");
    CHECK(contains(m.releases.at("2021-07").reason, "viirs_ayodhya_2021_07.tif"));
    for (const char* id : {"2021-05", "2021-06", "2021-08"}) CHECK(m.releases.at(id).state == "done");
  }
  {
    // The panel holds the three good releases only.
    const Csv panel = read_csv(out + "/panel/cell.csv");
    CHECK(panel.rows.size() == 3 * kNCells);
    for (size_t row = 0; row < panel.rows.size(); ++row) CHECK(panel.at(row, "release") != "2021-07");
  }

  // Restored: the next run retries just that release.
  fs::copy_file(shared_raster(2021, 7), bad, fs::copy_options::overwrite_existing);
  const auto good = snapshot(out + "/releases", true);
  r = run_batch(cfg);
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(1, 3, 0)));
    CHECK(contains(r.output, "release 2021-07 (3/4, retry)"));
  }
  CHECK(release_folders(out) == std::vector<std::string>{"2021-05", "2021-06", "2021-07", "2021-08"});
  const auto now = snapshot(out + "/releases", true);
  for (const auto& [path, state] : good) CHECK_MESSAGE(now.at(path) == state, path);
  const nl::Manifest m = nl::load_manifest(out + "/manifest.yaml");
  CHECK(m.releases.at("2021-07").state == "done");
  CHECK(m.releases.at("2021-07").reason.empty());
  CHECK(line_count(out + "/panel/cell.csv") == 4 * kNCells + 1);
}

TEST_CASE("run: SIGTERM mid-run then resume gives identical tables") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-sigterm");
  // Six months read in place (nothing is modified).
  const std::vector<std::string> files{viirs_dir() + "/viirs_ayodhya_2022_0[1-6].tif"};
  const std::string cfg_a = b.config("a.yaml", files, "out-a");
  const std::string cfg_b = b.config("b.yaml", files, "out-b");
  const std::string out_a = b.out("out-a"), out_b = b.out("out-b");

  // Each Ayodhya raster is one 256 × 256 tile, so one window per release: SIGTERM after the 3rd
  // window stops the run inside the 3rd release, with two releases finished.
  CommandResult r;
  {
    const ScopedEnv sigterm("NIGHTLIGHTS_TEST_SIGTERM_AFTER_WINDOWS", "3");
    r = run_batch(cfg_a);
  }
  {
    INFO(r.output);
    CHECK(r.exit_code == 143);  // 128 + SIGTERM
    CHECK(contains(r.output, "stopped by signal 15"));
  }
  std::vector<std::string> complete;
  for (const auto& id : release_folders(out_a))
    if (fs::exists(out_a + "/releases/" + id + "/cell.csv")) complete.push_back(id);
  CHECK(complete.size() < 6);
  CHECK(complete == std::vector<std::string>{"2022-01", "2022-02"});
  CHECK(names_containing(out_a, ".partial-").empty());
  CHECK(names_containing(out_a, ".old-").empty());
  CHECK(names_containing(out_a, ".tmp.").empty());
  {
    const nl::Manifest m = nl::load_manifest(out_a + "/manifest.yaml");
    CHECK(m.releases.size() == complete.size());
    for (const auto& id : complete) CHECK(m.releases.count(id));
  }

  r = run_batch(cfg_a);
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(4, 2, 0)));
  }
  r = run_batch(cfg_b);
  {
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.output, summary(6, 0, 0)));
  }
  // Every table (release folders and panels) byte for byte; provenance.json differs in timings.
  for (const char* sub : {"/releases", "/panel"}) {
    const auto a = snapshot(out_a + sub, true), bb = snapshot(out_b + sub, true);
    std::set<std::string> names_a, names_b;
    for (const auto& [p, s] : a) names_a.insert(p);
    for (const auto& [p, s] : bb) names_b.insert(p);
    CHECK(names_a == names_b);
    for (const auto& [p, s] : a) {
      CAPTURE(p);
      REQUIRE(bb.count(p));
      CHECK(s.bytes == bb.at(p).bytes);
    }
  }
  CHECK(snapshot(out_a + "/releases", true).size() == 6 * 4);
  CHECK(names_containing(out_a, ".partial-").empty());
  CHECK(names_containing(out_a, ".tmp.").empty());
}

TEST_CASE("run: config errors") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-config-errors");
  const std::string good = config_text({viirs_dir() + "/viirs_ayodhya_2021_0[1-2].tif"}, "out");

  // A broken config: non-zero exit, "FILE:LINE: message", nothing written.
  auto expect_config_error = [&](const std::string& name, const std::string& text, size_t line,
                                 const std::vector<std::string>& phrases) {
    const std::string path = b.dir + "/" + name;
    write_text(path, text);
    const auto r = run_batch(path);
    INFO(name << "\n" << r.output);
    CHECK(r.exit_code != 0);
    CHECK(contains(r.output, "nightlights: error: " + path + ":" + std::to_string(line) + ": "));
    for (const auto& p : phrases) CHECK_MESSAGE(contains(r.output, p), p);
    CHECK_FALSE(fs::exists(b.out("out")));
  };

  SUBCASE("the good config runs (control)") {
    const std::string path = b.dir + "/good.yaml";
    write_text(path, good);
    const auto r = run_batch(path);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(2, 0, 0)));
  }
  SUBCASE("unknown top-level key") {
    std::string text = good;
    text.replace(text.find("preprocess:"), 11, "preprocesss:");
    expect_config_error("bad-unknown.yaml", text, line_number(text, "preprocesss:"),
                        {"unknown key 'preprocesss'", "did you mean 'preprocess'"});
  }
  SUBCASE("unknown key in a section") {
    std::string text = good;
    text.replace(text.find("  pattern:"), 10, "  patern:");
    expect_config_error("bad-nested.yaml", text, line_number(text, "  patern:"),
                        {"unknown key 'patern' in releases", "did you mean 'pattern'"});
  }
  SUBCASE("unknown key in a flow mapping") {
    std::string text = good;
    text.replace(text.find("min_count"), 9, "min_cuont");
    expect_config_error("bad-flow.yaml", text, line_number(text, "min_cuont"),
                        {"unknown key 'min_cuont' in releases.quality", "did you mean 'min_count'"});
  }
  SUBCASE("malformed YAML") {
    std::string text = good;
    text.replace(text.find("  units:"), 8, "   units:");  // one space too many
    expect_config_error("bad-yaml.yaml", text, line_number(text, "   units:"), {"malformed YAML"});
  }
  SUBCASE("wrong type") {
    std::string text = good;
    text.replace(text.find("threads: 1"), 10, "threads: many");
    expect_config_error("bad-type.yaml", text, line_number(text, "threads: many"),
                        {"'threads' must be a whole number"});
    const std::string text2 = good + "min_valid_fraction: half\n";
    expect_config_error("bad-type2.yaml", text2, line_number(text2, "min_valid_fraction"),
                        {"'min_valid_fraction' must be a number"});
  }
  SUBCASE("a key given twice") {
    // The config already ends with "threads: 1"; a second "threads:" (the habit of overriding a
    // setting by appending it) must not be silently ignored — yaml-cpp keeps the first one.
    const std::string text = good + "threads: 2\n";
    expect_config_error("bad-duplicate.yaml", text, line_number(text, "threads: 2"), {"'threads'"});
  }
  SUBCASE("a missing quality raster fails that release only") {
    for (auto [y, m] : months(2021, 5, 2)) b.copy_month(y, m);
    fs::remove(b.rel(cf_name(2021, 6)));
    const std::string cfg = b.config("missing-cf.yaml", {"rel/viirs_ayodhya_*.tif"}, "out");
    auto r = run_batch(cfg, "--dry-run");
    {
      INFO(r.output);
      CHECK(r.exit_code == 0);
      CHECK(contains(r.output, "2021-06\tnew\t" + b.rel(raster_name(2021, 6)) + "\t" + b.rel(cf_name(2021, 6)) +
                                   " (MISSING)\n"));
      CHECK_FALSE(fs::exists(b.out("out")));
    }
    r = run_batch(cfg);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.output, b.rel(cf_name(2021, 6)) + ": quality raster of release 2021-06 not found"));
    CHECK(contains(r.output, summary(1, 0, 1) + " (2021-06)"));
    CHECK(release_folders(b.out("out")) == std::vector<std::string>{"2021-05"});
    const nl::Manifest m = nl::load_manifest(b.out("out") + "/manifest.yaml");
    CHECK(m.releases.at("2021-05").state == "done");
    CHECK(m.releases.at("2021-06").state == "failed");
    CHECK(contains(m.releases.at("2021-06").reason, "quality raster"));
    CHECK(contains(m.releases.at("2021-06").reason, "not found"));
  }
}

TEST_CASE("run: --only and --force") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-only-force");
  const std::string cfg = b.config("run.yaml", {viirs_dir() + "/viirs_ayodhya_2021_0[1-4].tif"}, "out");
  const std::string out = b.out("out");

  auto r = run_batch(cfg, "--only 2021-02");
  {
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.output, summary(1, 0, 0)));
  }
  CHECK(release_folders(out) == std::vector<std::string>{"2021-02"});
  {
    const Csv panel = read_csv(out + "/panel/cell.csv");
    CHECK(panel.rows.size() == kNCells);
    for (size_t row = 0; row < panel.rows.size(); ++row) CHECK(panel.at(row, "release") == "2021-02");
  }
  const auto only_one = snapshot(out + "/releases");

  // The plain run does the other three.
  r = run_batch(cfg);
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(3, 1, 0)));
  }
  CHECK(release_folders(out) == std::vector<std::string>{"2021-01", "2021-02", "2021-03", "2021-04"});
  {
    const auto now = snapshot(out + "/releases");
    for (const auto& [p, s] : only_one) CHECK_MESSAGE(now.at(p) == s, p);
  }
  const auto tables = snapshot(out + "/releases", true);

  // --force redoes every release (same numbers, new provenance).
  r = run_batch(cfg, "--force");
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(4, 0, 0)));
    for (const char* id : {"2021-01", "2021-02", "2021-03", "2021-04"})
      CHECK(contains(r.output, "release " + std::string(id) + " ("));
  }
  {
    const auto now = snapshot(out + "/releases", true);
    for (const auto& [p, s] : tables) CHECK_MESSAGE(now.at(p).bytes == s.bytes, p);
    for (const char* id : {"2021-01", "2021-02", "2021-03", "2021-04"})
      CHECK(contains(read_file(out + "/releases/" + id + "/provenance.json"), "\"action\": \"forced\""));
  }
  const auto forced = snapshot(out + "/releases");

  // --force --only: just that one.
  r = run_batch(cfg, "--force --only 2021-03");
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, summary(1, 0, 0)));
    CHECK(contains(r.output, "release 2021-03 (1/1, forced)"));
  }
  {
    const auto now = snapshot(out + "/releases");
    for (const auto& [p, s] : forced) {
      CAPTURE(p);
      if (p == "2021-03/provenance.json") continue;  // rewritten: new timings
      if (p == ".levels.v1.cbor.seen") continue;     // a cache of the folders looked into: it follows them
      if (p.rfind("2021-03/", 0) == 0) CHECK(now.at(p).bytes == s.bytes);  // redone, same numbers
      else CHECK(now.at(p) == s);                                           // untouched
    }
  }
  CHECK(line_count(out + "/panel/cell.csv") == 4 * kNCells + 1);

  // An id that no file has.
  r = run_batch(cfg, "--only 1999-01");
  INFO(r.output);
  CHECK(r.exit_code != 0);
  CHECK(contains(r.output, "release '1999-01' not found"));
}

TEST_CASE("run: changing the statistics never mixes column layouts in a panel") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-config-change");
  for (auto [y, m] : months(2021, 6, 2)) b.copy_month(y, m);
  const std::string cfg = b.config("run.yaml", {"rel/viirs_ayodhya_*.tif"}, "out");
  const std::string out = b.out("out");
  auto r = run_batch(cfg);
  REQUIRE(r.exit_code == 0);

  // The user trims the statistics and a new month arrives. Redoing the old releases or refusing
  // are both fine; a panel whose rows do not match its header is not.
  b.copy_month(2021, 8);
  b.config("run.yaml", {"rel/viirs_ayodhya_*.tif"}, "out", "stats: [count, sum]\n");
  r = run_batch(cfg);
  INFO(r.output);
  for (const std::string table : {"cell", "column", "region"}) {
    CAPTURE(table);
    const Csv panel = read_csv(out + "/panel/" + table + ".csv");
    std::vector<std::string> misfits;  // "release:columns" of rows whose width differs from the header's
    for (const auto& row : panel.rows)
      if (row.size() != panel.header.size()) misfits.push_back(row[0] + ":" + std::to_string(row.size()));
    CAPTURE(panel.header.size());
    CHECK_MESSAGE(misfits.empty(), "rows not matching the header: " << doctest::toString(misfits.size()) << ", first "
                                   << (misfits.empty() ? std::string("-") : misfits.front()));
  }
}

TEST_CASE("run: convergence over 24 India months: sigma every month, beta on the balanced panel with HC1 and lambda") {
  if (!have_viirs()) return;
  Batch b("run-convergence");
  std::vector<std::string> files;
  for (const auto& [y, m] : months(2021, 1, 24)) files.push_back(shared_raster(y, m));
  const std::string cfg = b.config("conv.yaml", files, b.out("out"),
                                   "convergence: {levels: [cell], region_dummies: true}\n"
                                   "inequality: {levels: [cell, column], groupings: [region]}\n");
  auto r = run_batch(cfg);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const Csv conv = read_csv(b.out("out") + "/panel/convergence.csv");
  // σ: one row per month.
  size_t sigma_rows = 0;
  for (size_t i = 0; i < conv.rows.size(); ++i) sigma_rows += conv.at(i, "kind") == "sigma";
  CHECK(sigma_rows == 24);
  // The balanced panel leaves out every cell that is invalid in some month: 2022-07 is masked
  // everywhere, so no cell is valid in all 24 months and the panel is empty…
  const size_t beta = [&] {
    for (size_t i = 0; i < conv.rows.size(); ++i)
      if (conv.at(i, "kind") == "beta") return i;
    return conv.rows.size();
  }();
  CHECK(beta == conv.rows.size());  // no fit on an empty panel
  CHECK(conv.at(0, "n") == "0");
  CHECK(conv.at(0, "n_left_out") == "9");

  // …so fit on the 12 months of 2021, where the cells are observed every month.
  Batch b2("run-convergence-2021");
  std::vector<std::string> year;
  for (const auto& [y, m] : months(2021, 1, 12)) year.push_back(shared_raster(y, m));
  const std::string cfg2 = b2.config("conv.yaml", year, b2.out("out"), "convergence: {levels: [cell], region_dummies: true}\n");
  auto r2 = run_batch(cfg2);
  REQUIRE_MESSAGE(r2.exit_code == 0, r2.output);
  const Csv c2 = read_csv(b2.out("out") + "/panel/convergence.csv");
  const Csv growth = read_csv(b2.out("out") + "/panel/growth_cell.csv");
  const size_t n = growth.rows.size();
  REQUIRE(n >= 3);
  // Independent OLS of growth on log initial brightness (closed form, one regressor).
  std::vector<double> x(n), g(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::log(growth.num(i, "brightness_first"));
    g[i] = growth.num(i, "growth_annual");
  }
  const auto [slope, se] = closed_form_ols(x, g);
  const double years = 11.0 / 12.0;  // January to December
  const size_t row = fit_row(c2, "beta", "log_initial_brightness");
  CHECK(c2.num(row, "estimate") == doctest::Approx(slope).epsilon(1e-10));
  CHECK(c2.num(row, "se_hc1") == doctest::Approx(se).epsilon(1e-8));
  CHECK(c2.num(row, "n") == doctest::Approx(static_cast<double>(n)));
  CHECK(c2.num(row, "years") == doctest::Approx(years).epsilon(1e-12));
  // λ = −ln(1 + βT)/T.
  CHECK(c2.num(row, "lambda") == doctest::Approx(-std::log(1 + slope * years) / years).epsilon(1e-10));
  // The specification with region dummies is there too.
  bool with_regions = false;
  for (size_t i = 0; i < c2.rows.size(); ++i) with_regions |= c2.at(i, "kind") == "beta_regions";
  CHECK(with_regions);
  size_t sigma2 = 0;
  for (size_t i = 0; i < c2.rows.size(); ++i) sigma2 += c2.at(i, "kind") == "sigma";
  CHECK(sigma2 == 12);

  // Inequality per month for both levels; Theil's parts add up to the total.
  const Csv ineq = read_csv(b.out("out") + "/releases/2021-03/inequality.csv");
  size_t theil_rows = 0;
  for (size_t i = 0; i < ineq.rows.size(); ++i) {
    if (ineq.at(i, "group") != "all" || ineq.at(i, "measure").rfind("theil", 0) != 0) continue;
    ++theil_rows;
    CHECK(ineq.num(i, "within") + ineq.num(i, "between") == doctest::Approx(ineq.num(i, "value")).epsilon(1e-12));
  }
  CHECK(theil_rows == 4);  // T and L at cell and column level
}

// The lights–GDP elasticity: ln GDP on ln total light (sum_area), pooled over releases, each with
// its year's GDP. Checked against an independent closed-form OLS with HC1 over the cell tables as
// written; a cell without GDP and months without light are counted as left out, not dropped
// silently. Then the GDP table's errors.
TEST_CASE("run: lights–GDP elasticity pooled over releases with HC1, against a closed form") {
  if (!have_viirs()) return;
  Batch b("run-gdp");
  std::vector<std::string> files;
  for (const auto& [y, m] : months(2021, 10, 6)) files.push_back(shared_raster(y, m));  // 2021-10 … 2022-03
  // GDP for 8 of the 9 cells in both years (cell r2c2 has none), not a power of the light, so
  // the fit is not exact.
  std::string gdp = "code,year,gdp,note\n";
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      if (r == 2 && c == 2) continue;
      for (int year : {2021, 2022})
        gdp += cell_code(r, c) + "," + std::to_string(year) + "," +
               std::to_string(1000.0 * (1 + r) * (2 + c * c) * (year == 2022 ? 1.07 : 1.0)) + ",x\n";
    }
  write_text(b.dir + "/gdp.csv", gdp);
  const std::string cfg = b.config("gdp.yaml", files, b.out("out"), "convergence: {levels: [cell], gdp: gdp.csv}\n");
  auto r = run_batch(cfg);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);

  std::map<std::pair<std::string, int>, double> gdp_of;
  {
    const Csv g = read_csv(b.dir + "/gdp.csv");
    for (size_t i = 0; i < g.rows.size(); ++i) gdp_of[{g.at(i, "code"), std::stoi(g.at(i, "year"))}] = g.num(i, "gdp");
  }
  std::vector<double> x, y;
  size_t left_out = 0;
  for (const auto& [year, month] : months(2021, 10, 6)) {
    char id[8];
    std::snprintf(id, sizeof id, "%04d-%02d", year, month);
    const Csv t = read_csv(b.out("out") + "/releases/" + id + "/cell.csv");
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const auto it = gdp_of.find({t.at(i, "code"), year});
      const bool light = t.at(i, "included") == "1" && !t.at(i, "sum_area").empty() && t.num(i, "sum_area") > 0;
      if (it == gdp_of.end() || !light) {
        ++left_out;
        continue;
      }
      x.push_back(std::log(t.num(i, "sum_area")));
      y.push_back(std::log(it->second));
    }
  }
  const size_t n = x.size();
  REQUIRE(n >= 10);
  const auto [slope, se] = closed_form_ols(x, y);

  const Csv conv = read_csv(b.out("out") + "/panel/convergence.csv");
  const size_t row = fit_row(conv, "gdp_elasticity", "log_total_light");
  CHECK(conv.num(row, "estimate") == doctest::Approx(slope).epsilon(1e-10));
  CHECK(conv.num(row, "se_hc1") == doctest::Approx(se).epsilon(1e-8));
  CHECK(conv.num(row, "n") == doctest::Approx(static_cast<double>(n)));
  CHECK(conv.num(row, "n_left_out") == doctest::Approx(static_cast<double>(left_out)));
  CHECK(left_out >= 6);  // at least the cell without GDP in each of the 6 months

  // A GDP table with a bad value, or without the gdp column: one error naming file and line,
  // before any release is processed (the manifest is untouched).
  const std::string manifest = read_file(b.out("out") + "/manifest.yaml");
  write_text(b.dir + "/gdp.csv", "code,year,gdp\n" + cell_code(0, 0) + ",2021,-5\n");
  auto bad = run_batch(cfg, "--force");
  CHECK(bad.exit_code != 0);
  CHECK(read_file(b.out("out") + "/manifest.yaml") == manifest);
  CHECK(bad.output.find("gdp.csv:2: gdp must be positive") != std::string::npos);
  write_text(b.dir + "/gdp.csv", "code,year,value\n");
  auto no_column = run_batch(cfg);
  CHECK(no_column.exit_code != 0);
  CHECK(no_column.output.find("gdp.csv:1: a GDP table needs the columns code, year and gdp") != std::string::npos);
}

// Population: per-group population, shares and light per person in gaps.csv, and inequality of
// light per person weighted by population (basis `population`) beside the per-area rows. The
// expected numbers are computed here from the cell table as written and the population table:
// sums by group, and the weighted Gini by its double-sum definition. Cell r2c2 has no population:
// it is counted apart, never dropped silently, and its column has no population either.
TEST_CASE("run: population table gives shares, light per person and population-weighted inequality") {
  if (!have_viirs()) return;
  Batch b("run-population");
  std::vector<std::string> files{shared_raster(2021, 3)};
  std::map<std::string, double> pop;
  std::string table = "code,name,population\n";
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      if (r == 2 && c == 2) continue;
      pop[cell_code(r, c)] = 1000.0 * (1 + 3 * r + c) + 17.0 * c * c;
      table += cell_code(r, c) + ",x," + std::to_string(pop[cell_code(r, c)]) + "\n";
    }
  write_text(b.dir + "/population.csv", table);
  const std::string cfg = b.config("pop.yaml", files, b.out("out"),
                                   "population: {table: population.csv}\n"
                                   "inequality: {levels: [cell, column], groupings: [region]}\n");
  auto r = run_batch(cfg);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const std::string dir = b.out("out") + "/releases/2021-03/";
  const Csv cells = read_csv(dir + "cell.csv");
  const Csv gaps = read_csv(dir + "gaps.csv");

  // Gap table: population of each region's counted cells, its share, light per person.
  const std::map<std::string, std::string> region_of_column{{"c0", "West"}, {"c1", "Central"}, {"c2", "East"}};
  std::map<std::string, double> group_pop, group_light;
  std::map<std::string, int> group_missing;
  for (size_t i = 0; i < cells.rows.size(); ++i) {
    if (cells.at(i, "included") != "1") continue;
    const std::string code = cells.at(i, "code");
    const std::string region = region_of_column.at(cells.at(i, "group"));
    for (const std::string& g : {region, std::string("all")}) {
      group_light[g] += cells.num(i, "sum_area");
      if (pop.count(code)) group_pop[g] += pop[code];
      else ++group_missing[g];
    }
  }
  REQUIRE(group_missing["East"] == 1);
  for (const std::string g : {"East", "Central", "West", "all"}) {
    CAPTURE(g);
    const size_t row = gaps.row_where("group", g);
    CHECK(gaps.num(row, "population") == doctest::Approx(group_pop[g]).epsilon(1e-12));
    CHECK(gaps.num(row, "population_share") == doctest::Approx(group_pop[g] / group_pop["all"]).epsilon(1e-12));
    CHECK(gaps.num(row, "light_per_person") == doctest::Approx(group_light[g] / group_pop[g]).epsilon(1e-12));
    CHECK(gaps.num(row, "units_without_population") == group_missing[g]);
  }

  // Inequality of light per person, weighted by population: Σᵢ Σⱼ wᵢwⱼ|yᵢ − yⱼ| / (2W²μ).
  std::vector<double> y, w;
  for (size_t i = 0; i < cells.rows.size(); ++i) {
    const std::string code = cells.at(i, "code");
    if (cells.at(i, "included") != "1" || !pop.count(code)) continue;
    y.push_back(cells.num(i, "sum_area") / pop[code]);
    w.push_back(pop[code]);
  }
  double W = 0, mu = 0, pairs = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    W += w[i];
    mu += w[i] * y[i];
  }
  mu /= W;
  for (size_t i = 0; i < y.size(); ++i)
    for (size_t j = 0; j < y.size(); ++j) pairs += w[i] * w[j] * std::abs(y[i] - y[j]);
  const double gini = pairs / (2 * W * W * mu);
  const Csv ineq = read_csv(dir + "inequality.csv");
  size_t per_person = ineq.rows.size(), per_area = ineq.rows.size(), column_per_person = ineq.rows.size();
  for (size_t i = 0; i < ineq.rows.size(); ++i) {
    if (ineq.at(i, "measure") != "gini" || ineq.at(i, "group") != "all") continue;
    if (ineq.at(i, "level") == "cell" && ineq.at(i, "basis") == "population") per_person = i;
    if (ineq.at(i, "level") == "cell" && ineq.at(i, "basis") == "area") per_area = i;
    if (ineq.at(i, "level") == "column" && ineq.at(i, "basis") == "population") column_per_person = i;
  }
  REQUIRE(per_person < ineq.rows.size());
  REQUIRE(per_area < ineq.rows.size());
  CHECK(ineq.num(per_person, "value") == doctest::Approx(gini).epsilon(1e-12));
  CHECK(ineq.at(per_person, "weight") == "population");
  CHECK(ineq.num(per_person, "n_used") == y.size());
  CHECK(ineq.num(per_person, "n_left_out_no_population") == 1);
  CHECK(ineq.num(per_area, "n_left_out_no_population") == 0);
  CHECK(ineq.at(per_area, "weight") == "valid_area");
  // Columns sum their cells' populations; column c2 holds r2c2, so it has none.
  REQUIRE(column_per_person < ineq.rows.size());
  CHECK(ineq.num(column_per_person, "n_used") == 2);
  CHECK(ineq.num(column_per_person, "n_left_out_no_population") == 1);

  // A table with a bad value: the configuration's error, before any release.
  write_text(b.dir + "/population.csv", "code,population\n" + cell_code(0, 0) + ",many\n");
  auto bad = run_batch(cfg, "--force");
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("population.csv:2: population must be a positive number, got 'many'") != std::string::npos);
}

// A job killed mid-write (or stopped by a full disk) leaves NAME.tmp.HOST.PID.SECONDS files;
// the next run removes those whose writer is dead on this host, but never a live job's, nor a
// recent one of another node sharing the folder.
TEST_CASE("run: temporaries of dead writers in the output folder are removed at start, live ones kept") {
  SKIP_WITHOUT_VIIRS();
  Batch b("run-temporaries");
  b.copy_month(2021, 5);
  const std::string cfg = b.config("run.yaml", {"rel/viirs_ayodhya_*.tif"}, "out");
  const std::string out = b.out("out");
  fs::create_directories(out + "/releases/2021-04");
  const pid_t child = nl::testsupport::dead_pid();
  const std::string host = nl::temporary_host(), t = std::to_string(std::time(nullptr));
  const std::string dead_gpkg = out + "/.hu_line_zones.new.gpkg.tmp." + host + "." + std::to_string(child) + "." + t + ".gpkg";
  const std::string dead_csv = out + "/releases/2021-04/cell.csv.tmp." + host + "." + std::to_string(child) + "." + t;
  const std::string live = out + "/panel.csv.tmp." + host + "." + std::to_string(getpid()) + "." + t;
  const std::string other_node = out + "/gaps.csv.tmp.node-3.example.77." + t;
  for (const auto& p : {dead_gpkg, dead_csv, live, other_node}) write_text(p, "partial");
  auto r = run_batch(cfg);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK_FALSE(fs::exists(dead_gpkg));
  CHECK_FALSE(fs::exists(dead_csv));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other_node));
}

TEST_CASE("run: centre of light over 12 India months: gaps.csv per group, panel/centre_of_light.csv distances and speeds") {
  if (!have_viirs()) return;
  Batch b("run-centre-of-light");
  std::vector<std::string> files;
  for (const auto& [y, m] : months(2021, 1, 12)) files.push_back(shared_raster(y, m));
  const std::string cfg = b.config("col.yaml", files, b.out("out"),
                                   "stats: [count, sum, mean_area, median, p90, light_lon, light_lat, area_lon, area_lat]\n");
  auto r = run_batch(cfg);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const Csv gaps = read_csv(b.out("out") + "/releases/2021-03/gaps.csv");
  const Csv col = read_csv(b.out("out") + "/panel/centre_of_light.csv");
  const double west = b.grid.x0, east = b.grid.x0 + b.grid.width * b.grid.dx;
  const double north = b.grid.y0, south = b.grid.y0 + b.grid.height * b.grid.dy;
  size_t all_rows = 0;
  double first_lon = NAN, first_lat = NAN;
  for (size_t i = 0; i < col.rows.size(); ++i) {
    if (col.at(i, "group") != "all") continue;
    ++all_rows;
    const double lon = col.num(i, "light_lon"), lat = col.num(i, "light_lat");
    // Inside the raster: a weighted mean of cell centres cannot leave their hull.
    CHECK(lon > west);
    CHECK(lon < east);
    CHECK(lat > south);
    CHECK(lat < north);
    if (all_rows == 1) {
      first_lon = lon, first_lat = lat;
      CHECK(col.at(i, "km_from_first").empty());  // nothing to move from yet
      continue;
    }
    // The geodesic distance (WGS84) against the great circle on a sphere of the mean radius:
    // within 0.5 % (the ellipsoid's flattening bounds their difference).
    const double rad = std::numbers::pi / 180;
    const double h = std::pow(std::sin((lat - first_lat) * rad / 2), 2) +
                     std::cos(lat * rad) * std::cos(first_lat * rad) * std::pow(std::sin((lon - first_lon) * rad / 2), 2);
    const double sphere_km = 2 * 6371.0088 * std::asin(std::sqrt(h));
    CHECK(col.num(i, "km_from_first") == doctest::Approx(sphere_km).epsilon(0.005));
    // Months are years/12 apart; the mean speed is the distance over the years.
    CHECK(col.num(i, "years_since_first") == doctest::Approx((all_rows - 1) / 12.0).epsilon(1e-12));
    CHECK(col.num(i, "mean_km_per_year") == doctest::Approx(col.num(i, "km_from_first") / col.num(i, "years_since_first")).epsilon(1e-12));
  }
  CHECK(all_rows == 12);
  // The release's gap table carries the same centre for "all".
  for (size_t i = 0; i < gaps.rows.size(); ++i)
    if (gaps.at(i, "group") == "all")
      for (size_t j = 0; j < col.rows.size(); ++j)
        if (col.at(j, "group") == "all" && col.at(j, "release") == "2021-03") CHECK(col.at(j, "light_lon") == gaps.at(i, "light_lon"));
}
