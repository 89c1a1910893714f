// Bad input to `nightlights zonal` and `nightlights run`, beyond tests/test_zonal_errors.cpp and
// the config errors of tests/test_run_batch.cpp: degenerate and hostile zones, hostile pixels,
// damaged and absurd rasters, compressed inputs, full and read-only disks, mixed panels, more
// YAML mistakes and usage errors.
//
// Every failure must be one "nightlights: error: FILE: problem" line (for `run`, the failing
// release's "release X failed: FILE: problem" warning and the final error line), a non-zero exit
// code (1 for data errors, 2 for usage errors, never a signal), and no new table; a failing `run`
// leaves the tables of an earlier good run into the same folder byte for byte as they were.
// Cases that are not errors (zones outside the raster, repaired polygons, NaN pixels, nodata
// outside the type's range) are checked for their exact numbers and warnings. Hazards of the
// output folder (two runs at once, inputs replaced in place or deleted, re-runs that fail) are
// here too.
//
// Everything is generated here (no shared data); the whole file runs in a few seconds.
#include <doctest/doctest.h>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "pipeline/io/manifest.hpp"
#include "pipeline/io/output_lock.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string last_line(const std::string& text) {
  const auto lines = lines_of(text);
  return lines.empty() ? std::string() : lines.back();
}

size_t line_number(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  REQUIRE_MESSAGE(at != std::string::npos, needle);
  return static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;
}

// Names under `root` (recursively) containing `part`: leftover temporaries and staging folders.
std::vector<std::string> names_containing(const std::string& root, const std::string& part) {
  std::vector<std::string> hits;
  if (!fs::exists(root)) return hits;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().filename().string().find(part) != std::string::npos) hits.push_back(e.path().string());
  return hits;
}

// Every regular file under `root`: relative path → bytes.
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  if (!fs::exists(root)) return files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = read_file(e.path().string());
  return files;
}

// A CSV row by its first column (no quoting in these tables).
std::map<std::string, std::string> csv_rows(const std::string& path) {
  std::map<std::string, std::string> rows;
  const auto lines = lines_of(read_file(path));
  for (size_t i = 1; i < lines.size(); ++i) rows[lines[i].substr(0, lines[i].find(','))] = lines[i];
  return rows;
}
std::string csv_header(const std::string& path) {
  const auto lines = lines_of(read_file(path));
  return lines.empty() ? std::string() : lines.front();
}

// A zonal failure: exactly one line "nightlights: error: …" naming `file` and `phrase`, the exit
// code, no output table and no temporary beside it.
void expect_zonal_failure(const CommandResult& r, int code, const std::string& out, const std::string& file,
                          const std::string& phrase) {
  INFO(r.output);
  CHECK(r.exit_code == code);
  CHECK(r.exit_code < 128);  // never a signal
  const auto lines = lines_of(r.output);
  CHECK(lines.size() == 1);
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back().rfind("nightlights: error: ", 0) == 0);
  CHECK_MESSAGE(contains(lines.back(), file), "names the file " << file);
  CHECK_MESSAGE(contains(lines.back(), phrase), "says " << phrase);
  CHECK_FALSE(fs::exists(out));
  CHECK(names_containing(fs::path(out).parent_path().string(), ".tmp.").empty());
}

// GeoJSON FeatureCollection of (id, geometry JSON) features.
std::string feature_collection(const std::vector<std::pair<std::string, std::string>>& features) {
  std::string s = "{\"type\":\"FeatureCollection\",\"features\":[";
  for (size_t i = 0; i < features.size(); ++i)
    s += (i ? "," : "") + std::string("{\"type\":\"Feature\",\"properties\":{\"id\":\"") + features[i].first +
         "\"},\"geometry\":" + features[i].second + "}";
  return s + "]}";
}

std::string polygon_json(const std::vector<std::pair<double, double>>& ring) {
  std::ostringstream s;
  s.precision(17);
  s << "{\"type\":\"Polygon\",\"coordinates\":[[";
  for (size_t i = 0; i <= ring.size(); ++i) {
    const auto& p = ring[i % ring.size()];
    s << (i ? "," : "") << "[" << p.first << "," << p.second << "]";
  }
  s << "]]}";
  return s.str();
}

// An axis-aligned rectangle (west, north, east, south).
std::string box_json(double w, double n, double e, double s) { return polygon_json({{w, n}, {e, n}, {e, s}, {w, s}}); }

std::string exe() { return NIGHTLIGHTS_EXE; }

// A shell command's mount, always undone (even when a CHECK fails or throws).
struct MountGuard {
  std::string dir;
  bool mounted = false;
  MountGuard(const std::string& mount_command, std::string where) : dir(std::move(where)) {
    const CommandResult r = run(mount_command);
    mounted = r.exit_code == 0;
    if (!mounted) MESSAGE("cannot mount (" << r.output << "); skipped");
  }
  ~MountGuard() {
    if (mounted) run("umount '" + dir + "'");
  }
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
};

// ---------------------------------------------------------------------------------------------
// zonal fixture: a 64 × 64 Float32 raster of ones at 0.01° from (10°E, 20°N), two zones inside.

struct Zonal {
  std::string dir, raster, zones, out;
  explicit Zonal(const std::string& name) : dir(temp_dir("bad-" + name)) {
    raster = dir + "/r.tif";
    zones = dir + "/z.geojson";
    out = dir + "/out.csv";
    const double gt[6] = {10, 0.01, 0, 20, 0, -0.01};
    write_geotiff(raster, 64, 64, gt, std::vector<float>(64 * 64, 1.0f), std::nullopt, 32);
    write_text(zones, feature_collection({{"a", box_json(10.1, 19.9, 10.3, 19.7)}, {"b", box_json(10.2, 19.8, 10.5, 19.5)}}));
  }
  CommandResult zonal(const std::string& extra, const std::string& r, const std::string& z) const {
    return nightlights("zonal -q -r '" + r + "' -p '" + z + "' -f id -o '" + out + "' " + extra);
  }
  CommandResult zonal(const std::string& extra = "") const { return zonal(extra, raster, zones); }
};

// ---------------------------------------------------------------------------------------------
// run fixture: 10 × 10 Float32 releases at 0.125° from (10°E, 20°N), a quality raster beside
// each (all 5, min_count 1), two zones (west and east halves), one level.

constexpr double kRunGt[6] = {10, 0.125, 0, 20, 0, -0.125};

struct Run {
  std::string dir, rel, out, cfg;
  explicit Run(const std::string& name) : dir(temp_dir("bad-" + name)) {
    rel = dir + "/rel";
    out = dir + "/out";
    cfg = dir + "/run.yaml";
    fs::create_directories(rel);
    write_text(dir + "/cells.geojson",
               feature_collection({{"w", box_json(10, 20, 10.625, 18.75)}, {"e", box_json(10.625, 20, 11.25, 18.75)}}));
    write_config();
  }
  static std::string config_text(const std::string& units = "DN", const std::string& extra = "") {
    return "releases:\n"
           "  files: \"rel/nl_*.tif\"\n"
           "  pattern: \"nl_{year}.tif\"\n"
           "  units: " + units + "\n"
           "  quality: {template: \"{stem}_cf.tif\", min_count: 1}\n"
           "zones:\n"
           "  cells: {path: cells.geojson, id_field: id}\n"
           "levels:\n"
           "  - {name: cell, zones: cells}\n"
           "output: {directory: out}\n" + extra;
  }
  void write_config(const std::string& units = "DN", const std::string& extra = "") const {
    write_text(cfg, config_text(units, extra));
  }
  std::string raster(int year) const { return rel + "/nl_" + std::to_string(year) + ".tif"; }
  std::string quality(int year) const { return rel + "/nl_" + std::to_string(year) + "_cf.tif"; }
  // A release (size × size) and its quality raster (quality_size × quality_size).
  void add_release(int year, int size = 10, int quality_size = 10) const {
    std::vector<float> v(static_cast<size_t>(size) * size);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7 + static_cast<size_t>(year)) % 13);
    write_geotiff(raster(year), size, size, kRunGt, v, std::nullopt, 16);
    write_geotiff(quality(year), quality_size, quality_size, kRunGt,
                  std::vector<float>(static_cast<size_t>(quality_size) * quality_size, 5.0f), std::nullopt, 16);
  }
  CommandResult run_batch(const std::string& flags = "", const std::string& config = "") const {
    return nightlights("run '" + (config.empty() ? cfg : config) + "' " + flags);
  }
  std::string manifest() const { return out + "/manifest.yaml"; }
  // The first, good run (release 2020); returns the folder's files (tables and manifest).
  std::map<std::string, std::string> good_first_run() const {
    add_release(2020);
    const CommandResult r = run_batch();
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    REQUIRE(fs::exists(out + "/releases/2020/cell.csv"));
    REQUIRE(fs::exists(out + "/panel/cell.csv"));
    return snapshot(out);
  }
  // Tables (everything under releases/ and panel/) of `before` still there, byte for byte.
  void expect_tables_unchanged(const std::map<std::string, std::string>& before) const {
    const auto now = snapshot(out);
    for (const auto& [path, bytes] : before) {
      if (path == "manifest.yaml") continue;  // records the failure; checked separately
      CAPTURE(path);
      REQUIRE(now.count(path));
      CHECK(now.at(path) == bytes);
    }
    CHECK(names_containing(out, ".partial-").empty());
    CHECK(names_containing(out, ".old-").empty());
    CHECK(names_containing(out, ".tmp.").empty());
  }
  // A release of the second run fails alone: its warning line, the summary, the final error
  // line, exit 1, no folder for it, the earlier tables untouched, the failure in the manifest.
  void expect_release_failure(const CommandResult& r, const std::string& id, const std::string& file,
                              const std::string& phrase, const std::map<std::string, std::string>& before) const {
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.output, "nightlights: warning: release " + id + " failed: " + file + ": "));
    CHECK(contains(r.output, phrase));
    CHECK(contains(r.output, "0 release(s) processed, 1 unchanged, 1 failed (" + id + ")"));
    CHECK(last_line(r.output) == "nightlights: error: 1 release(s) failed; see " + manifest());
    CHECK_FALSE(fs::exists(out + "/releases/" + id));
    expect_tables_unchanged(before);
    const nl::Manifest m = nl::load_manifest(manifest());
    REQUIRE(m.releases.count(id));
    CHECK(m.releases.at(id).state == "failed");
    CHECK(contains(m.releases.at(id).reason, phrase));
    CHECK(m.releases.at("2020").state == "done");
  }
};

// A config error after a good first run: "FILE:LINE: message" on one line, exit 1, the whole
// output folder (tables and manifest) untouched.
void expect_config_error(const Run& b, const std::string& name, const std::string& text, size_t line,
                         const std::vector<std::string>& phrases, const std::map<std::string, std::string>& before) {
  const std::string path = b.dir + "/" + name;
  write_text(path, text);
  const CommandResult r = b.run_batch("", path);
  INFO(name << "\n" << r.output);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.output).size() == 1);
  CHECK(last_line(r.output).rfind("nightlights: error: " + path + ":" + std::to_string(line) + ": ", 0) == 0);
  for (const auto& p : phrases) CHECK_MESSAGE(contains(r.output, p), p);
  CHECK(snapshot(b.out) == before);
}

}  // namespace

// =============================================================================================
// zonal: zones

TEST_CASE("bad input: zones outside the raster are rows with count 0 and one precise warning") {
  Zonal f("outside");
  // A raster with a no-data corner: a zone on no-data cells does cover cells (nodata_count > 0)
  // and must not be counted among the zones that miss the raster.
  std::vector<float> v(64 * 64, 1.0f);
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 10; ++c) v[static_cast<size_t>(r) * 64 + c] = -1.0f;
  const double gt[6] = {10, 0.01, 0, 20, 0, -0.01};
  write_geotiff(f.raster, 64, 64, gt, v, -1.0, 32);
  write_text(f.zones, feature_collection({{"in", box_json(10.2, 19.8, 10.3, 19.7)},
                                          {"far", box_json(30.0, 19.8, 30.5, 19.5)},
                                          {"dark", box_json(10.0, 20.0, 10.05, 19.95)},
                                          {"south", box_json(10.1, 10.0, 10.2, 9.0)}}));
  auto r = f.zonal("-s count,nodata_count,sum,mean,min,max");
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output == "nightlights: warning: 2 of 4 zones cover no cell of the raster (rows kept with count 0)\n");
  }
  REQUIRE(fs::exists(f.out));
  const auto rows = csv_rows(f.out);
  CHECK(csv_header(f.out) == "id,count,nodata_count,sum,mean,min,max");
  CHECK(rows.at("far") == "far,0,0,0,,,");
  CHECK(rows.at("south") == "south,0,0,0,,,");
  CHECK(rows.at("dark").rfind("dark,0,25", 0) == 0);  // 5 × 5 no-data cells
  CHECK(rows.at("in").rfind("in,100", 0) == 0);

  // Every zone outside: still a table, every row 0, the warning counts them all.
  write_text(f.zones, feature_collection({{"far", box_json(30.0, 19.8, 30.5, 19.5)},
                                          {"west", box_json(-50, 19.8, -49, 19.5)}}));
  fs::remove(f.out);
  r = f.zonal("");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output == "nightlights: warning: 2 of 2 zones cover no cell of the raster (rows kept with count 0)\n");
  CHECK(read_file(f.out) == "id,count,sum,mean,min,max\nfar,0,0,,,\nwest,0,0,,,\n");
}

TEST_CASE("bad input: an empty GeoJSON layer is 'has no features', not a missing field") {
  Zonal f("empty-geojson");
  write_text(f.zones, R"({"type":"FeatureCollection","features":[]})");
  expect_zonal_failure(f.zonal(), 1, f.out, "z.geojson", "has no features");
}

TEST_CASE("bad input: an empty GeoPackage layer (with its id field) has no features") {
  Zonal f("empty-gpkg");
  const std::string gpkg = f.dir + "/empty.gpkg";
  {
    nl::configure_gdal();
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    REQUIRE(drv);
    GDALDataset* ds = drv->Create(gpkg.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    REQUIRE(ds);
    OGRSpatialReference srs;
    srs.importFromEPSG(4326);
    OGRLayer* layer = ds->CreateLayer("counties", &srs, wkbPolygon, nullptr);
    REQUIRE(layer);
    OGRFieldDefn id("id", OFTString);
    REQUIRE(layer->CreateField(&id) == OGRERR_NONE);
    GDALClose(ds);
  }
  expect_zonal_failure(f.zonal("", f.raster, gpkg), 1, f.out, "empty.gpkg", "layer 'counties' has no features");
}

TEST_CASE("bad input: a layer of lines is not a polygon layer") {
  Zonal f("lines");
  write_text(f.zones,
             feature_collection({{"road", R"({"type":"LineString","coordinates":[[10.1,19.9],[10.3,19.7],[10.5,19.9]]})"},
                                 {"river", R"({"type":"MultiLineString","coordinates":[[[10.1,19.5],[10.4,19.6]]]})"}}));
  expect_zonal_failure(f.zonal(), 1, f.out, "z.geojson", "feature 'road' is a Line String, not a polygon");
}

TEST_CASE("bad input: a bow-tie polygon is repaired into its two triangles, with one warning") {
  Zonal f("bowtie");
  // 8 × 8 cells of 1°; columns 0–1 hold 1, columns 2–3 hold 3, the rest 0.
  std::vector<float> v(64, 0.0f);
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 4; ++c) v[static_cast<size_t>(r) * 8 + c] = c < 2 ? 1.0f : 3.0f;
  const double gt[6] = {0, 1, 0, 8, 0, -1};
  write_geotiff(f.raster, 8, 8, gt, v, std::nullopt, 16);
  // The bow-tie crosses itself at (2, 6); MakeValid gives the left triangle (0,8)-(2,6)-(0,4)
  // over the columns of 1 and the right one (4,8)-(4,4)-(2,6) over the columns of 3: 4 cells
  // each, so count 8, sum 4·1 + 4·3 = 16, mean 2. "tris" is that MultiPolygon given directly.
  write_text(f.zones,
             feature_collection(
                 {{"bow", polygon_json({{0, 8}, {4, 4}, {4, 8}, {0, 4}})},
                  {"tris", R"({"type":"MultiPolygon","coordinates":[[[[0,8],[2,6],[0,4],[0,8]]],[[[4,8],[4,4],[2,6],[4,8]]]]})"}}));
  const auto r = f.zonal("-s count,nodata_count,sum,mean,min,max");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output == "nightlights: warning: " + f.zones + ": repaired 1 invalid geometry with MakeValid\n");
  REQUIRE(fs::exists(f.out));
  const auto rows = csv_rows(f.out);
  CHECK(rows.at("bow") == "bow,8,0,16,2,1,3");
  CHECK(rows.at("tris") == "tris,8,0,16,2,1,3");
}

TEST_CASE("bad input: a collapsed (zero-area) polygon is an empty zone, not an error about a line") {
  // A ring whose vertices lie on one line: a sliver left by simplification. MakeValid turns it
  // into a LineString; the feature is still a polygon feature of a polygon layer, of zero area:
  // its row should be count 0 (with the repaired and cover-no-cell warnings), not a failure of
  // the whole layer that calls the feature "a Line String".
  Zonal f("collapsed");
  // Exactly collinear in binary (multiples of 1/4), so GEOS sees zero area.
  write_text(f.zones, feature_collection({{"a", box_json(10.1, 19.9, 10.3, 19.7)},
                                          {"sliver", polygon_json({{10, 20}, {10.25, 19.75}, {10.5, 19.5}})}}));
  const auto r = f.zonal("-s count,nodata_count,sum");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.output, "Line String"));
  CHECK(contains(r.output, "repaired 1 invalid geometry"));
  REQUIRE(fs::exists(f.out));
  const auto rows = csv_rows(f.out);
  CHECK(rows.at("sliver") == "sliver,0,0,0");
}

TEST_CASE("bad input: vertices far outside the CRS's range never give NaN statistics") {
  // A square of ±1e307° around the raster (a corrupt export, or DBL_MAX used as a missing
  // coordinate): its cell coordinates overflow to ±inf. Either the feature is refused by name,
  // or it is clipped to the grid and covers all 64 × 64 cells — never empty (NaN) counts.
  Zonal f("huge-coords");
  const double e = 1e307;
  write_text(f.zones, feature_collection({{"huge", box_json(-e, e, e, -e)},
                                          {"spike", polygon_json({{10.1, 19.9}, {1.7976931348623157e308, 19.9}, {10.3, 19.7}})}}));
  const auto r = f.zonal("-s count,nodata_count,sum");
  INFO(r.output);
  CHECK(r.exit_code < 128);
  if (r.exit_code == 0) {
    REQUIRE(fs::exists(f.out));
    const auto rows = csv_rows(f.out);
    CHECK(rows.at("huge") == "huge,4096,0,4096");
    // The spike's row must at least hold numbers.
    CHECK(rows.at("spike").find(",,") == std::string::npos);
    CHECK(rows.at("spike").back() != ',');
  } else {
    expect_zonal_failure(r, 1, f.out, "z.geojson", "feature 'huge'");
  }
}

// =============================================================================================
// zonal: pixels and rasters

TEST_CASE("bad input: NaN and ±Inf pixels are no data, negative pixels are kept") {
  Zonal f("nan-inf");
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  // 4 × 4 cells of 1°; 4 non-finite pixels, 12 valid ones summing to 19, minimum −2.5.
  const std::vector<float> v = {1, 2, nan, 4, -2.5f, inf, -inf, 8, 0, -0.5f, 3, nan, 1, 1, 1, 1};
  const double gt[6] = {0, 1, 0, 4, 0, -1};
  write_geotiff(f.raster, 4, 4, gt, v, std::nullopt, 16);
  write_text(f.zones, feature_collection({{"all", box_json(0, 4, 4, 0)}, {"row1", box_json(0, 3, 4, 2)}}));
  const auto r = f.zonal("-s count,nodata_count,sum,mean,min,max");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.empty());
  REQUIRE(fs::exists(f.out));
  const auto rows = csv_rows(f.out);
  CHECK(rows.at("all") == "all,12,4,19,1.5833333333333333,-2.5,8");
  CHECK(rows.at("row1") == "row1,2,2,5.5,2.75,-2.5,8");  // −2.5, +Inf, −Inf, 8
}

TEST_CASE("bad input: a corrupted DEFLATE tile in the middle of a GeoTIFF fails naming the block") {
  Zonal f("corrupt-tile");
  const std::string path = f.dir + "/corrupt.tif";
  std::vector<float> v(64 * 64);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7919) % 97 + 1);
  const double gt[6] = {10, 0.01, 0, 20, 0, -0.01};
  write_geotiff(path, 64, 64, gt, v, std::nullopt, 16, "EPSG:4326", "DEFLATE");
  long long offset = 0, size = 0;
  {
    GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
    REQUIRE(ds);
    GDALRasterBand* band = ds->GetRasterBand(1);
    const char* o = band->GetMetadataItem("BLOCK_OFFSET_1_1", "TIFF");
    const char* s = band->GetMetadataItem("BLOCK_SIZE_1_1", "TIFF");
    REQUIRE(o);
    REQUIRE(s);
    offset = std::atoll(o);
    size = std::atoll(s);
    GDALClose(ds);
  }
  REQUIRE(size > 16);
  REQUIRE(offset + size < static_cast<long long>(fs::file_size(path)));  // in the middle, not the tail
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(offset);
    const std::string garbage(static_cast<size_t>(size), '\xAB');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  write_text(f.zones, feature_collection({{"all", box_json(10, 20, 10.64, 19.36)}}));
  expect_zonal_failure(f.zonal("", path, f.zones), 1, f.out, "corrupt.tif",
                       "read error in the block at row 16, column 16");
  // Two threads: the same single line.
  expect_zonal_failure(f.zonal("--threads 2", path, f.zones), 1, f.out, "corrupt.tif",
                       "read error in the block at row 16, column 16");
}

TEST_CASE("bad input: a raster claiming 2e9 × 2e9 cells fails fast with a clear error, never a crash") {
  Zonal f("absurd-size");
  const std::string vrt = f.dir + "/huge.vrt";
  write_text(vrt,
             "<VRTDataset rasterXSize=\"2000000000\" rasterYSize=\"2000000000\">\n"
             "  <SRS>EPSG:4326</SRS>\n"
             "  <GeoTransform>10, 0.01, 0, 20, 0, -0.01</GeoTransform>\n"
             "  <VRTRasterBand dataType=\"Float32\" band=\"1\">\n"
             "    <SimpleSource>\n"
             "      <SourceFilename relativeToVRT=\"1\">r.tif</SourceFilename>\n"
             "      <SourceBand>1</SourceBand>\n"
             "      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"64\" ySize=\"64\"/>\n"
             "      <DstRect xOff=\"0\" yOff=\"0\" xSize=\"64\" ySize=\"64\"/>\n"
             "    </SimpleSource>\n"
             "  </VRTRasterBand>\n"
             "</VRTDataset>\n");
  const auto t0 = std::chrono::steady_clock::now();
  // ASan reserves terabytes of shadow address space, so the address-space cap only applies to
  // the plain build; the assertions (clear error, no crash) hold in both.
#ifdef NIGHTLIGHTS_SANITIZED
  const std::string cap = "";
#else
  const std::string cap = "ulimit -v 2000000; ";
#endif
  const auto r = run(cap + "'" + exe() + "' zonal -q --no-cache -r '" + vrt + "' -p '" + f.zones +
                     "' -f id -o '" + f.out + "'");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(r.output);
  CHECK(seconds < 20);
  CHECK(r.exit_code < 128);                                   // no segfault, no abort
  CHECK_FALSE(contains(r.output, "bad_alloc"));               // no internal error about memory
  CHECK_FALSE(contains(r.output, "internal error"));
  expect_zonal_failure(r, 1, f.out, "huge.vrt", "huge.vrt: ");
}

TEST_CASE("bad input: nodata outside the band type's range is warned about and matches no pixel") {
  Zonal f("nodata-range");
  // 4 × 4 cells of 1° and a zone on their edges: counts are exact.
  write_text(f.zones, feature_collection({{"all", box_json(0, 4, 4, 0)}}));
  const double gt[6] = {0, 1, 0, 4, 0, -1};

  // One warning line naming the file and the band's type; the value nodata would wrap to stays valid.
  auto expect_warned = [&](const std::string& path, const std::string& args, const std::string& warning,
                           const std::string& type, const std::string& expected_row) {
    const auto r = f.zonal("-s count,nodata_count,sum,min,max" + args, path, f.zones);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.output).size() == 1);
    CHECK(contains(r.output, "nightlights: warning: " + path + ": " + warning));
    CHECK(contains(r.output, "is outside the range of " + type));
    CHECK(csv_rows(f.out).at("all") == expected_row);
  };
  SUBCASE("UInt16 band with nodata -5: the pixel 65531 (-5 wrapped) stays valid") {
    const std::string path = f.dir + "/u16.tif";
    std::vector<float> v(16, 7.0f);
    v[0] = 65531.0f;
    v[1] = 0.0f;
    write_geotiff(path, 4, 4, gt, v, -5.0, 16, "EPSG:4326", "DEFLATE", GDT_UInt16);
    expect_warned(path, "", "", "UInt16", "all,16,0,65629,0,65531");  // 65531 + 14 · 7
  }
  SUBCASE("Float32 band with nodata 1e40") {
    const std::string path = f.dir + "/f32.tif";
    std::vector<float> v(16, 2.5f);
    v[5] = -3.0f;
    write_geotiff(path, 4, 4, gt, v, 1e40, 16);
    expect_warned(path, "", "", "Float32", "all,16,0,34.5,-3,2.5");
  }
  SUBCASE("Byte band with --nodata 300: the pixel 44 (300 wrapped) stays valid") {
    const std::string path = f.dir + "/byte.tif";
    std::vector<float> v(16, 1.0f);
    v[3] = 44.0f;
    write_geotiff(path, 4, 4, gt, v, std::nullopt, 16, "EPSG:4326", "DEFLATE", GDT_Byte);
    expect_warned(path, " --nodata 300", "nodata 300", "Byte", "all,16,0,59,1,44");
  }
}

TEST_CASE("bad input: a .tif.gz is refused with a message to decompress it; /vsigzip/ given explicitly works") {
  // EOG ships .tif.gz; GDAL's /vsigzip/ reads them very slowly (configs/china-viirs-annual.yaml:
  // "Decompress EOG's .tif.gz first"). A plain .tif.gz path must say so, not just "not recognized".
  Zonal f("tif-gz");
  const std::string gz = f.dir + "/r.tif.gz";
  const auto g = run("gzip -c '" + f.raster + "' > '" + gz + "'");
  REQUIRE(g.exit_code == 0);
  const auto r = f.zonal("", gz, f.zones);
  {
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(lines_of(r.output).size() == 1);
    CHECK(contains(r.output, "nightlights: error: " + gz + ": "));
    CHECK_MESSAGE((contains(r.output, "decompress") || contains(r.output, "gunzip")),
                  "the message tells to decompress the file first");
    CHECK_FALSE(fs::exists(f.out));
  }
  // The explicit /vsigzip/ path gives the same table as the plain GeoTIFF.
  REQUIRE(f.zonal().exit_code == 0);
  const std::string plain = read_file(f.out);
  fs::remove(f.out);
  const auto v = f.zonal("", "/vsigzip/" + gz, f.zones);
  INFO(v.output);
  CHECK(v.exit_code == 0);
  CHECK(read_file(f.out) == plain);
}

// =============================================================================================
// zonal: outputs

TEST_CASE("bad input: an output path naming an input is refused and the input kept intact") {
  Zonal f("output-is-input");
  const std::string raster_bytes = read_file(f.raster), zone_bytes = read_file(f.zones);
  SUBCASE("-o the raster") {
    const auto r = nightlights("zonal -q -r '" + f.raster + "' -p '" + f.zones + "' -f id -o '" + f.raster + "'");
    INFO(r.output);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code < 3);
    CHECK(lines_of(r.output).size() == 1);
    CHECK(contains(r.output, "nightlights: error: " + f.raster + ": "));
  }
  SUBCASE("-o the zone file") {
    const auto r = nightlights("zonal -q -r '" + f.raster + "' -p '" + f.zones + "' -f id -o '" + f.zones + "'");
    INFO(r.output);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code < 3);
    CHECK(lines_of(r.output).size() == 1);
    CHECK(contains(r.output, "nightlights: error: " + f.zones + ": "));
  }
  CHECK(read_file(f.raster) == raster_bytes);
  CHECK(read_file(f.zones) == zone_bytes);
  CHECK(names_containing(f.dir, ".tmp.").empty());
}

TEST_CASE("bad input: an output path that is a directory fails, leaving no temporary") {
  Zonal f("output-dir");
  fs::create_directories(f.dir + "/tables");
  const auto r = nightlights("zonal -q -r '" + f.raster + "' -p '" + f.zones + "' -f id -o '" + f.dir + "/tables'");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.output).size() == 1);
  CHECK(contains(r.output, "nightlights: error: " + f.dir + "/tables: "));
  CHECK(fs::is_directory(f.dir + "/tables"));
  CHECK(fs::is_empty(f.dir + "/tables"));
  CHECK(names_containing(f.dir, ".tmp.").empty());
}

TEST_CASE("bad input: a full disk while writing the table fails, leaving no partial or temporary file") {
  Zonal f("disk-full");
  const std::string mnt = f.dir + "/small";
  fs::create_directories(mnt);
  const MountGuard guard("mount -t tmpfs -o size=64k tmpfs '" + mnt + "'", mnt);
  if (!guard.mounted) return;
  // 3000 zones of a quarter cell each: the table is ~160 KB, the file system 64 KB.
  const double gt[6] = {0, 1, 0, 50, 0, -1};
  write_geotiff(f.raster, 60, 50, gt, std::vector<float>(3000, 1.5f), std::nullopt, 16);
  std::vector<std::pair<std::string, std::string>> features;
  for (int r = 0; r < 50; ++r)
    for (int c = 0; c < 60; ++c) {
      std::string id = std::to_string(r * 60 + c);
      id = "zone-" + std::string(5 - id.size(), '0') + id;
      features.emplace_back(id, box_json(c + 0.25, 49.75 - r, c + 0.75, 49.25 - r));
    }
  write_text(f.zones, feature_collection(features));
  const std::string out = mnt + "/out.csv";
  const auto r = nightlights("zonal -q -r '" + f.raster + "' -p '" + f.zones + "' -f id -s count,sum,mean,min,max,stdev,valid_area_km2 -o '" + out + "'");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.output).size() == 1);
  CHECK(contains(r.output, "nightlights: error: " + out + ": "));
  CHECK((contains(r.output, "writing failed") || contains(r.output, "cannot write")));
  CHECK(contains(r.output, "No space left on device"));
  CHECK_FALSE(fs::exists(out));
  CHECK(fs::is_empty(mnt));  // no temporary either
}

TEST_CASE("bad input: a read-only output folder fails before any work, naming the path") {
  Zonal f("read-only");
  const std::string src = f.dir + "/writable", ro = f.dir + "/ro";
  fs::create_directories(src);
  fs::create_directories(ro);
  const MountGuard guard("mount --bind '" + src + "' '" + ro + "' && mount -o remount,bind,ro '" + ro + "'", ro);
  if (!guard.mounted) return;
  const std::string out = ro + "/out.csv";
  const auto r = nightlights("zonal -q -r '" + f.raster + "' -p '" + f.zones + "' -f id -o '" + out + "'");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.output).size() == 1);
  CHECK(contains(r.output, "nightlights: error: " + out + ": cannot write output (Read-only file system)"));
  CHECK(fs::is_empty(src));
}

// =============================================================================================
// usage errors

TEST_CASE("bad input: a non-numeric band is a usage error (exit 2)") {
  Zonal f("band-abc");
  const auto r = f.zonal("-b abc");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "--band"));
  CHECK_FALSE(fs::exists(f.out));
}

TEST_CASE("bad input: --threads 0 and --threads -3 are usage errors (exit 2)") {
  Zonal f("threads");
  for (const std::string n : {"0", "-3"}) {
    CAPTURE(n);
    const auto r = f.zonal("--threads " + n);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "threads"));
    CHECK_FALSE(fs::exists(f.out));
    fs::remove(f.out);
  }
  Run b("threads-run");
  b.add_release(2020);
  for (const std::string n : {"0", "-3"}) {
    CAPTURE(n);
    const auto r = b.run_batch("--threads " + n);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "threads"));
    CHECK_FALSE(fs::exists(b.out));
    fs::remove_all(b.out);
  }
}

// =============================================================================================
// run: releases that do not fit the panel

TEST_CASE("bad input: run with a quality raster on another grid fails that release") {
  Run b("quality-grid");
  const auto before = b.good_first_run();
  b.add_release(2021, 10, 12);
  const auto r = b.run_batch();
  b.expect_release_failure(r, "2021", b.quality(2021), "quality raster grid 12x12 cells", before);
  CHECK(contains(r.output, "differs from its release's (10x10 cells"));
}

TEST_CASE("bad input: run adding a release on another grid to a panel fails that release") {
  Run b("panel-grid");
  const auto before = b.good_first_run();
  b.add_release(2021, 12, 12);
  const auto r = b.run_batch();
  b.expect_release_failure(r, "2021", b.raster(2021), "differs from the panel's", before);
  CHECK(contains(r.output, "grid 12x12 cells"));
  CHECK(contains(r.output, "a panel never mixes grids"));
}

TEST_CASE("bad input: run with a zero-byte release (an interrupted download) fails that release") {
  Run b("zero-byte");
  const auto before = b.good_first_run();
  b.add_release(2021);
  fs::resize_file(b.raster(2021), 0);
  const auto r = b.run_batch();
  b.expect_release_failure(r, "2021", b.raster(2021), "cannot open as a raster", before);
}

TEST_CASE("bad input: run into a panel of other units is refused as a whole") {
  Run b("units");
  const auto before = b.good_first_run();
  b.add_release(2021);
  b.write_config("nW/cm2/sr");
  const auto r = b.run_batch();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.output).size() == 1);
  CHECK(last_line(r.output) == "nightlights: error: " + b.manifest() +
                                   ": the panel holds units 'DN' but the config says 'nW/cm2/sr'; a panel never "
                                   "mixes units — use another output directory");
  CHECK_FALSE(fs::exists(b.out + "/releases/2021"));
  CHECK(snapshot(b.out) == before);  // manifest included: nothing was touched
}

// =============================================================================================
// run: configuration mistakes (file:line, exit 1, the earlier output untouched)

TEST_CASE("bad input: run config values of the wrong type or range name file and line") {
  Run b("config-types");
  const auto before = b.good_first_run();
  const std::string good = Run::config_text();

  SUBCASE("stats: 5") {
    const std::string t = good + "stats: 5\n";
    expect_config_error(b, "stats5.yaml", t, line_number(t, "stats: 5"), {"unknown statistic '5'"}, before);
  }
  SUBCASE("levels: {a: b}") {
    std::string t = good;
    const std::string list = "levels:\n  - {name: cell, zones: cells}\n";
    t.replace(t.find(list), list.size(), "levels: {a: b}\n");
    expect_config_error(b, "levels-map.yaml", t, line_number(t, "levels: {a: b}"), {"levels must be a list"}, before);
  }
  SUBCASE("min_valid_fraction: 2") {
    const std::string t = good + "min_valid_fraction: 2\n";
    expect_config_error(b, "mvf2.yaml", t, line_number(t, "min_valid_fraction"),
                        {"min_valid_fraction must be between 0 and 1"}, before);
  }
  SUBCASE("min_valid_fraction: .nan") {
    // NaN passes `< 0 || > 1`; every unit would then be silently flagged included = 0.
    const std::string t = good + "min_valid_fraction: .nan\n";
    expect_config_error(b, "mvf-nan.yaml", t, line_number(t, "min_valid_fraction"),
                        {"min_valid_fraction must be between 0 and 1"}, before);
  }
  SUBCASE("coverage: fuzzy") {
    const std::string t = good + "coverage: fuzzy\n";
    expect_config_error(b, "coverage.yaml", t, line_number(t, "coverage: fuzzy"), {"unknown coverage mode 'fuzzy'"},
                        before);
  }
  SUBCASE("stats: [] (zonal refuses -s \"\" as 'no statistics given')") {
    const std::string t = good + "stats: []\n";
    expect_config_error(b, "stats-empty.yaml", t, line_number(t, "stats: []"), {"statistic"}, before);
  }
  SUBCASE("threads: -3") {
    const std::string t = good + "threads: -3\n";
    expect_config_error(b, "threads.yaml", t, line_number(t, "threads: -3"), {"'threads'"}, before);
  }
}

TEST_CASE("bad input: run config keys given twice in a section or among the zone layers") {
  Run b("config-twice");
  const auto before = b.good_first_run();
  const std::string good = Run::config_text();

  SUBCASE("releases.units twice") {
    std::string t = good;
    t.insert(t.find("  quality:"), "  units: nW/cm2/sr\n");
    expect_config_error(b, "units-twice.yaml", t, line_number(t, "  units: nW/cm2/sr"),
                        {"key 'units' given twice in releases"}, before);
  }
  SUBCASE("a zone layer name twice") {
    // yaml-cpp keeps both; the second layer (another file) would be silently ignored.
    std::string t = good;
    t.insert(t.find("levels:"), "  cells: {path: other.geojson, id_field: code}\n");
    expect_config_error(b, "zones-twice.yaml", t, line_number(t, "  cells: {path: other"), {"'cells' given twice"},
                        before);
  }
}

// Values that parsed but made every release fail, or gave silently wrong tables: each is now
// refused before any release, with "FILE:LINE: message" and the earlier output untouched.
TEST_CASE("bad input: run config values that cannot be meant are refused before any release") {
  Run b("config-values");
  const auto before = b.good_first_run();
  const std::string good = Run::config_text();

  SUBCASE("lit_threshold: .nan (no cell would be lit: `v > NaN` is false)") {
    const std::string t = good + "lit_threshold: .nan\n";
    expect_config_error(b, "lit-nan.yaml", t, line_number(t, "lit_threshold"),
                        {"lit_threshold must be a finite number, not .nan"}, before);
  }
  SUBCASE("floor above cap (every valid value would be both zeroed and capped)") {
    const std::string t = good + "preprocess: {floor: 5, cap: 2}\n";
    expect_config_error(b, "floor-cap.yaml", t, line_number(t, "preprocess:"),
                        {"preprocess.floor (5) is above preprocess.cap (2)"}, before);
  }
  SUBCASE("scale: 0 (every pixel would become the offset)") {
    const std::string t = good + "preprocess:\n  scale: 0\n";
    expect_config_error(b, "scale0.yaml", t, line_number(t, "  scale: 0"), {"preprocess.scale must not be 0"}, before);
  }
  SUBCASE("threads: 10000 (a typo that would start 10,000 threads)") {
    const std::string t = good + "threads: 10000\n";
    expect_config_error(b, "threads-many.yaml", t, line_number(t, "threads: 10000"),
                        {"'threads' must be at most 1024"}, before);
  }
  SUBCASE("band: 0 (bands are numbered from 1; every release failed 'band out of range')") {
    std::string t = good;
    t.insert(t.find("  quality:"), "  band: 0\n");
    expect_config_error(b, "band0.yaml", t, line_number(t, "  band: 0"), {"releases.band must be 1 or more"}, before);
  }
  SUBCASE("a level key that its finer level does not carry (found after the raster pass before)") {
    std::string t = good;
    t.insert(t.find("output:"), "  - {name: half, from: cell, key: name}\n");
    expect_config_error(b, "key.yaml", t, line_number(t, "name: half"),
                        {"level 'half': key 'name' is not a field carried by level 'cell' (carried: none); add it "
                         "to zones.cells.fields, or use id"},
                        before);
  }
}

// Zone layers a run cannot use: one line naming the file and the feature(s), exit 1, nothing
// written. Before, an empty layer failed every release one by one (and changed the manifest);
// an empty id or two ids differing only by spaces gave tables with a blank or a doubled unit.
TEST_CASE("bad input: run zone layers with no features, an empty id or ids differing by spaces are refused") {
  Run b("zone-ids");
  const auto before = b.good_first_run();
  const auto expect_refused = [&](const std::string& name, const std::string& features, const std::string& message) {
    write_text(b.dir + "/" + name, features);
    std::string t = Run::config_text();
    t.replace(t.find("cells.geojson"), 13, name);
    write_text(b.dir + "/" + name + ".yaml", t);
    const CommandResult r = b.run_batch("", b.dir + "/" + name + ".yaml");
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(lines_of(r.output).size() == 1);
    CHECK(last_line(r.output) == "nightlights: error: " + b.dir + "/" + name + ": " + message);
    CHECK(snapshot(b.out) == before);
  };
  const std::string w = box_json(10, 20, 10.625, 18.75), e = box_json(10.625, 20, 11.25, 18.75);
  SUBCASE("no features") {
    expect_refused("empty.geojson", feature_collection({}), "layer 'empty' of zones.cells has no features");
  }
  SUBCASE("an empty-string id") {
    expect_refused("blank.geojson", feature_collection({{"w", w}, {"", e}}),
                   "feature 2 has an empty id in field 'id'; every zone needs an id");
  }
  SUBCASE("ids that differ only by surrounding spaces") {
    expect_refused("spaces.geojson", feature_collection({{"w", w}, {"e", e}, {" w ", box_json(10, 18.75, 11.25, 18.7)}}),
                   "ids 'w' (feature 1) and ' w ' (feature 3) in field 'id' differ only by surrounding spaces; fix "
                   "the layer so that each unit has one id");
  }
}

// =============================================================================================
// run: hazards of the output folder

namespace {
// Every file of the output folder but the lock file, whose text names the current holder. It
// is not even opened: closing any descriptor of a file releases this process's fcntl lock on it.
std::map<std::string, std::string> tables_and_manifest(const std::string& out) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file() && e.path().filename() != ".lock")
      files[fs::relative(e.path(), out).string()] = read_file(e.path().string());
  return files;
}

// A command started now and collected later (its output read to the end when collected).
struct Background {
  FILE* pipe;
  explicit Background(const std::string& command) : pipe(popen((command + " 2>&1").c_str(), "r")) {}
  CommandResult finish() { return collect(pipe); }
};

std::string run_command(const Run& b, const std::string& flags) {
  return "NIGHTLIGHTS_CACHE_DIR='" + temp_dir("lock-cache") + "' '" + exe() + "' run '" + b.cfg + "' " + flags;
}
}  // namespace

// Two runs with --only into one folder both exited 0, and the manifest and panel kept the
// release of whichever saved last: each had read the manifest before the other wrote it.
TEST_CASE("bad input: two runs into one folder at once keep both releases (the second waits for the lock)") {
  Run b("two-runs");
  b.add_release(2020);
  b.add_release(2021);
  Background first(run_command(b, "--only 2020")), second(run_command(b, "--only 2021"));
  const CommandResult r1 = first.finish(), r2 = second.finish();
  INFO(r1.output << "\n---\n" << r2.output);
  CHECK(r1.exit_code == 0);
  CHECK(r2.exit_code == 0);
  const nl::Manifest m = nl::load_manifest(b.manifest());
  CHECK(m.releases.size() == 2);  // both, whichever ran first
  CHECK(m.releases.at("2020").state == "done");
  CHECK(m.releases.at("2021").state == "done");
  const auto rows = lines_of(read_file(b.out + "/panel/cell.csv"));
  CHECK(rows.size() == 1 + 2 * 2);  // header, 2 zones × 2 releases
}

TEST_CASE("bad input: run --no-wait into a folder another run holds is refused naming the holder, a waiting run goes on after") {
  Run b("lock");
  b.good_first_run();
  b.add_release(2021);
  const auto before = tables_and_manifest(b.out);
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  const std::string holder = "pid " + std::to_string(getpid()) + " on host " + host + " since ";
  std::optional<Background> waiting;
  {
    // fcntl locks belong to a process: this test process holds it, the runs are other processes.
    nl::OutputLock held(b.out, false);
    const CommandResult r = b.run_batch("--no-wait");
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(lines_of(r.output).size() == 1);
    CHECK(last_line(r.output).rfind("nightlights: error: " + b.out + " is locked by another run (" + holder, 0) == 0);
    CHECK(contains(r.output, "); it ends by itself, or run again without --no-wait to wait for it"));
    CHECK(tables_and_manifest(b.out) == before);  // nothing written

    // Without --no-wait the run says whom it waits for and waits: nothing is written meanwhile.
    waiting.emplace(run_command(b, ""));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(tables_and_manifest(b.out) == before);
    // --dry-run reads only: it takes no lock and answers at once, noting the holder.
    const CommandResult dry = b.run_batch("--dry-run");
    INFO(dry.output);
    CHECK(dry.exit_code == 0);
    CHECK(contains(dry.output, "2021\tnew\t"));
    CHECK(contains(dry.output, "note: a run holds the lock on " + b.out + " (" + holder));
  }  // released
  const CommandResult r = waiting->finish();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "nightlights: warning: waiting for the lock on " + b.out + " held by " + holder));
  CHECK(contains(r.output, "1 release(s) processed, 1 unchanged, 0 failed"));
  CHECK(fs::exists(b.out + "/releases/2021/cell.csv"));
  CHECK(read_file(b.out + "/.lock").empty());  // no stale holder once the run ended
}

// Size and mtime decide first: a release replaced by a different file of the same size and
// mtime (a re-download copied with `cp -p`, a restored backup) is not redone unless --verify.
TEST_CASE("bad input: run --verify redoes a release replaced by another file of the same size and mtime") {
  Run b("verify");
  b.good_first_run();
  const std::string raster = b.raster(2020);
  const auto write_plain = [&](float value) {  // uncompressed: the size depends only on the grid
    write_geotiff(raster, 10, 10, kRunGt, std::vector<float>(100, value), std::nullopt, 16, "EPSG:4326", "NONE");
  };
  write_plain(1.0f);
  CommandResult r = b.run_batch();
  REQUIRE(r.exit_code == 0);
  const auto size = fs::file_size(raster);
  const auto mtime = fs::last_write_time(raster);
  const std::string table = read_file(b.out + "/releases/2020/cell.csv");
  write_plain(3.0f);
  REQUIRE(fs::file_size(raster) == size);
  fs::last_write_time(raster, mtime);

  r = b.run_batch();
  {
    INFO(r.output);  // the trade-off: not hashed, not seen
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "0 release(s) processed, 1 unchanged, 0 failed"));
    CHECK(read_file(b.out + "/releases/2020/cell.csv") == table);
  }
  r = b.run_batch("--verify");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "release 2020 (1/1, changed)"));
  CHECK(contains(r.output, "1 release(s) processed, 0 unchanged, 0 failed"));
  CHECK(read_file(b.out + "/releases/2020/cell.csv") != table);
  // Every pixel is now 3: each zone's mean is 3 (it was 1).
  const auto lines = csv_lines(b.out + "/releases/2020/cell.csv");
  REQUIRE(lines.size() == 3);
  const size_t mean = static_cast<size_t>(std::find(lines[0].begin(), lines[0].end(), "mean") - lines[0].begin());
  REQUIRE(mean < lines[0].size());
  CHECK(std::stod(lines[1].at(mean)) == doctest::Approx(3).epsilon(1e-12));
  CHECK(std::stod(lines[2].at(mean)) == doctest::Approx(3).epsilon(1e-12));
}

// The rule: a release whose re-run fails keeps the tables of its last good run, in
// releases/<id> and in the panel, and the manifest says so (state failed, with last_good).
// Before, the panel dropped such a release while its tables stayed on disk, and when every
// release failed the panel was not rebuilt at all and listed releases the manifest marked failed.
TEST_CASE("bad input: a failed re-run keeps the last good tables in the panel and the manifest says so") {
  Run b("last-good");
  b.good_first_run();
  b.add_release(2021);
  REQUIRE(b.run_batch().exit_code == 0);
  const auto good = snapshot(b.out);
  const nl::Manifest good_manifest = nl::load_manifest(b.manifest());

  const auto expect_kept = [&](const std::vector<std::string>& failed, const CommandResult& r) {
    INFO(r.output);
    CHECK(r.exit_code == 1);
    const nl::Manifest m = nl::load_manifest(b.manifest());
    for (const auto& id : failed) {
      CAPTURE(id);
      CHECK(contains(r.output, "nightlights: warning: release " + id + " failed: " + b.raster(std::stoi(id)) +
                                   ": cannot open as a raster"));
      CHECK(contains(r.output, "(its last good tables, of " + good_manifest.releases.at(id).finished +
                                   ", stay in the panel)"));
      CHECK(m.releases.at(id).state == "failed");
      REQUIRE(m.releases.at(id).last_good.has_value());
      CHECK(m.releases.at(id).last_good->finished == good_manifest.releases.at(id).finished);
      CHECK(m.releases.at(id).last_good->inputs.at(0).sha256 == good_manifest.releases.at(id).inputs.at(0).sha256);
    }
    // The kept tables and the panel are the good run's, byte for byte.
    for (const auto& [path, bytes] : good) {
      // The cache of the release folders looked into follows them (a failed release's stays).
      if (path == "manifest.yaml" || path == ".lock" || path == "releases/.levels.v1.cbor.seen") continue;
      CAPTURE(path);
      CHECK(read_file(b.out + "/" + path) == bytes);
    }
    CHECK(contains(read_file(b.manifest()), "last_good:"));
  };

  SUBCASE("one of two releases fails: the panel still holds both") {
    fs::resize_file(b.raster(2021), 0);  // a bad re-download
    expect_kept({"2021"}, b.run_batch());
  }
  SUBCASE("every release fails: the panel is rebuilt from the kept tables") {
    fs::resize_file(b.raster(2020), 0);
    fs::resize_file(b.raster(2021), 0);
    const CommandResult r = b.run_batch();
    expect_kept({"2020", "2021"}, r);
    CHECK(contains(r.output, "0 release(s) processed, 0 unchanged, 2 failed (2020, 2021)"));
    // Failing again keeps the same last good tables (not the failed attempt as 'last good').
    expect_kept({"2020", "2021"}, b.run_batch());
  }
  SUBCASE("the restored file is redone and the release is done again") {
    const std::string saved = b.dir + "/saved.tif";
    fs::copy_file(b.raster(2021), saved);
    fs::resize_file(b.raster(2021), 0);
    expect_kept({"2021"}, b.run_batch());
    fs::copy_file(saved, b.raster(2021), fs::copy_options::overwrite_existing);
    const CommandResult r = b.run_batch();
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "release 2021 (2/2, retry)"));
    const nl::Manifest m = nl::load_manifest(b.manifest());
    CHECK(m.releases.at("2021").state == "done");
    CHECK_FALSE(m.releases.at("2021").last_good.has_value());
    CHECK(read_file(b.out + "/panel/cell.csv") == good.at("panel/cell.csv"));
  }
}

// A processed release whose raster was deleted (archived, moved away) is not in the list of
// release files any more: it vanished from --dry-run and the summary without a word while its
// tables stayed in the panel. It is reported as `missing`; its tables are kept.
TEST_CASE("bad input: a processed release whose raster was deleted is reported as missing, its tables kept") {
  Run b("deleted-raster");
  b.good_first_run();
  b.add_release(2021);
  REQUIRE(b.run_batch().exit_code == 0);
  const std::string panel = read_file(b.out + "/panel/cell.csv");
  fs::remove(b.raster(2020));
  fs::remove(b.quality(2020));

  CommandResult r = b.run_batch("--dry-run");
  {
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "2021\tunchanged\t"));
    CHECK(contains(r.output, "2020\tmissing\t" + b.raster(2020) + " (DELETED; tables kept)\t-\n"));
    CHECK(contains(r.output, "dry run: 1 release(s), 0 would be processed, 1 missing (raster deleted); nothing written"));
  }
  r = b.run_batch();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "0 release(s) processed, 1 unchanged, 0 failed, 1 missing (2020: raster deleted, tables kept)"));
  CHECK(fs::exists(b.out + "/releases/2020/cell.csv"));
  CHECK(read_file(b.out + "/panel/cell.csv") == panel);
}
