// Helpers for end-to-end tests: temporary folders, running the nightlights binary, and writing
// small GeoTIFFs and GeoJSON layers with GDAL.
#pragma once
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/coverage.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl::testsupport {

namespace fs = std::filesystem;

inline std::string shared_data() {
  if (const char* env = std::getenv("NIGHTLIGHTS_SHARED_DATA")) return env;
  return NIGHTLIGHTS_SHARED_DATA;
}
inline bool have_shared_data() { return fs::exists(shared_data() + "/china-dmsp"); }

// A PID no process has any more: a child that has exited and been reaped (for the clean-up of
// temporaries left by dead writers).
inline pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  REQUIRE(waitpid(child, nullptr, 0) == child);
  return child;
}

// A fresh, empty folder per test name, under a per-process folder removed at exit
// (NIGHTLIGHTS_KEEP_TEST_FILES=1 keeps it for debugging).
inline std::string temp_dir(const std::string& name) {
  struct Cleanup {
    fs::path base = fs::temp_directory_path() / ("nightlights-test-" + std::to_string(getpid()));
    ~Cleanup() {
      std::error_code ec;
      if (!std::getenv("NIGHTLIGHTS_KEEP_TEST_FILES")) fs::remove_all(base, ec);
    }
  };
  static Cleanup cleanup;
  const fs::path p = cleanup.base / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// A started command's output read to the end, and its exit code (128 + signal when killed).
inline CommandResult collect(FILE* pipe) {
  CommandResult r;
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline CommandResult run(const std::string& command) { return collect(popen((command + " 2>&1").c_str(), "r")); }

// Runs the binary with its coverage cache in this process's temporary folder (never ~/.cache).
inline CommandResult nightlights(const std::string& args) {
  static const std::string cache = temp_dir("coverage-cache");
  return run("NIGHTLIGHTS_CACHE_DIR='" + cache + "' '" + NIGHTLIGHTS_EXE + "' " + args);
}

// gdal_translate in-process: `from` to `to` with the command line's options.
inline void translate(const std::string& from, const std::string& to, std::vector<std::string> args) {
  configure_gdal();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALTranslateOptions* o = GDALTranslateOptionsNew(argv.data(), nullptr);
  GDALDatasetH src = GDALOpen(from.c_str(), GA_ReadOnly);
  if (!src) throw std::runtime_error("test: cannot open " + from);
  GDALDatasetH out = GDALTranslate(to.c_str(), src, o, nullptr);
  GDALClose(src);
  GDALTranslateOptionsFree(o);
  if (!out) throw std::runtime_error("test: gdal_translate to " + to + " failed");
  GDALClose(out);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every line of a CSV the program wrote, split into fields.
inline std::vector<std::vector<std::string>> csv_lines(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) rows.push_back(nl::split_csv_line(line));
  return rows;
}

// Every CSV below `out` by its path relative to `out`, so two output folders compare table by table.
inline std::map<std::string, std::string> csv_tables_under(const std::string& out) {
  std::map<std::string, std::string> t;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.path().extension() == ".csv") t[fs::relative(e.path(), out).string()] = read_file(e.path().string());
  return t;
}

// Each zone's row of a release table (the CSV at `path`), by the zone's id (the code column).
inline std::map<std::string, std::vector<std::string>> rows_by_zone(const std::string& path) {
  std::map<std::string, std::vector<std::string>> rows;
  const auto lines = csv_lines(path);
  REQUIRE(lines.size() > 1);
  for (size_t i = 1; i < lines.size(); ++i) rows[lines[i][1]] = lines[i];
  return rows;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The demo's configuration (configs/sample.yaml) with absolute paths to samples/, its output in
// `out` and no GeoPackages; `edits` replace further text (each must occur).
inline std::string sample_config(const std::string& out, const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  const std::string src = NIGHTLIGHTS_SOURCE_DIR;
  std::string text = read_file(src + "/configs/sample.yaml");
  std::vector<std::pair<std::string, std::string>> all = {
      {"../samples/dmsp-", src + "/samples/dmsp-"},
      {"../samples/counties.gpkg", src + "/samples/counties.gpkg"},
      {"lookup: china-regions.yaml", "lookup: " + src + "/configs/china-regions.yaml"},
      {"directory: ../demo-out", "directory: " + out},
      {"geopackage: [county, city]", "geopackage: []"}};
  all.insert(all.end(), edits.begin(), edits.end());
  for (const auto& [from, to] : all) {
    const size_t at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("sample.yaml no longer holds '" + from + "'");
    text.replace(at, from.size(), to);
  }
  return text;
}

// A Float32 GeoTIFF, `block` × `block` tiles, EPSG:4326 unless `crs` is empty.
inline void write_geotiff(const std::string& path, int width, int height, const double gt[6],
                          const std::vector<float>& values, std::optional<double> nodata, int block = 32,
                          const std::string& crs = "EPSG:4326", const char* compress = "DEFLATE",
                          GDALDataType type = GDT_Float32) {
  nl::configure_gdal();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const std::string bs = std::to_string(block);
  std::string o1 = "TILED=YES", o2 = "BLOCKXSIZE=" + bs, o3 = "BLOCKYSIZE=" + bs,
              o4 = std::string("COMPRESS=") + compress;
  const char* options[] = {o1.c_str(), o2.c_str(), o3.c_str(), o4.c_str(), nullptr};
  GDALDataset* ds = drv->Create(path.c_str(), width, height, 1, type, const_cast<char**>(options));
  double g[6];
  std::copy(gt, gt + 6, g);
  ds->SetGeoTransform(g);
  if (!crs.empty()) {
    OGRSpatialReference srs;
    srs.SetFromUserInput(crs.c_str());
    ds->SetSpatialRef(&srs);
  }
  GDALRasterBand* band = ds->GetRasterBand(1);
  if (nodata) band->SetNoDataValue(*nodata);
  std::vector<float> copy = values;
  if (band->RasterIO(GF_Write, 0, 0, width, height, copy.data(), width, height, GDT_Float32, 0, 0, nullptr) != CE_None)
    throw std::runtime_error("test raster write failed");
  GDALClose(ds);
}

// GeoJSON FeatureCollection of (multi)polygons in lon/lat with an `id` string property.
inline std::string geojson_polygons(const std::vector<std::pair<std::string, std::vector<std::vector<CellPoint>>>>& features) {
  std::ostringstream s;
  s.precision(17);
  s << "{\"type\":\"FeatureCollection\",\"features\":[";
  for (size_t f = 0; f < features.size(); ++f) {
    s << (f ? "," : "") << "{\"type\":\"Feature\",\"properties\":{\"id\":\"" << features[f].first
      << "\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[";
    const auto& rings = features[f].second;
    for (size_t r = 0; r < rings.size(); ++r) {
      s << (r ? "," : "") << "[";
      for (size_t i = 0; i <= rings[r].size(); ++i) {
        const CellPoint& p = rings[r][i % rings[r].size()];
        s << (i ? "," : "") << "[" << p.x << "," << p.y << "]";
      }
      s << "]";
    }
    s << "]}}";
  }
  s << "]}";
  return s.str();
}

}  // namespace nl::testsupport
