#include "pipeline/coverage_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/diagnostics.hpp"
#include "pipeline/file_identity.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'N', 'L', 'C', 'O', 'V', '0', '1', '\n'};

// One spelling per file (../a/b and the absolute path name the same zones).
std::string normal_path(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

// What decides the cache file's name: everything but the zone files' size/mtime/hash, which
// are stored inside and checked on load (so a touched file is re-hashed, not re-prepared).
std::string identity_key(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                         const WindowLayout& layout, CoverageMode mode) {
  std::ostringstream k;
  k.precision(10);
  const GridGeometry& g = raster.grid;
  // Origin to a thousandth of a cell and sizes to 10 digits: grids equal within tolerance share
  // a name; the exact grid is checked with same_grid on load.
  k << "grid " << g.width << "x" << g.height << " " << g.cell_width << " " << g.cell_height << " "
    << std::llround(g.origin_x / std::abs(g.cell_width) * 1000) << " "
    << std::llround(g.origin_y / std::abs(g.cell_height) * 1000) << "\n";
  k << "layout " << layout.rows_per_window << "x" << layout.cols_per_window << "\n";
  k << "crs " << raster.crs_wkt << "\n";
  k << "mode " << coverage_mode_name(mode) << "\n";
  for (const auto& s : sources) {
    k << "zones " << normal_path(s.path) << "|" << s.layer << "|" << s.id_field << "|"
      << datum_name(s.datum) << "|" << s.assume_crs << "|";
    for (const auto& f : s.include_fields) k << f << ",";
    k << "\n";
  }
  return k.str();
}

class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) {}
  void raw(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) ok_ = false;
    written_ += n;
  }
  template <typename T>
  void pod(const T& v) {
    raw(&v, sizeof v);
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    raw(s.data(), s.size());
  }
  void align(size_t a) {
    static const char zeros[16] = {};
    const size_t pad = (a - written_ % a) % a;
    raw(zeros, pad);
  }
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  bool ok_ = true;
  size_t written_ = 0;
};

// Reads the mapped cache file; every read is bounds-checked (a truncated file is just stale).
class Reader {
 public:
  Reader(const char* data, size_t size) : data_(data), size_(size) {}
  void raw(void* p, size_t n) {
    if (n > size_ - pos_) throw std::runtime_error("short read");
    std::memcpy(p, data_ + pos_, n);
    pos_ += n;
  }
  template <typename T>
  T pod() {
    T v;
    raw(&v, sizeof v);
    return v;
  }
  std::string str() {
    const auto n = pod<uint64_t>();
    if (n > size_ - pos_) throw std::runtime_error("implausible string length");
    std::string s(data_ + pos_, n);
    pos_ += n;
    return s;
  }
  void align(size_t a) {
    const size_t padded = (pos_ + a - 1) / a * a;
    if (padded > size_) throw std::runtime_error("short read");
    pos_ = padded;
  }
  const char* here() const { return data_ + pos_; }
  void skip(size_t n) {
    if (n > size_ - pos_) throw std::runtime_error("short read");
    pos_ += n;
  }

 private:
  const char* data_;
  size_t size_, pos_ = 0;
};

std::string cache_file(const std::string& dir, const std::string& key) {
  // The key can be long (WKT); its SHA-256 names the file, the key itself is stored and compared.
  return dir + "/coverage-" + sha256_text(key).substr(0, 32) + ".nlcov";
}

}  // namespace

std::string CoverageCache::default_directory() {
  if (const char* d = std::getenv("NIGHTLIGHTS_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/nightlights";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/nightlights";
  return "";
}

std::optional<PreparedIndex> CoverageCache::load(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                                 const WindowLayout& layout, CoverageMode mode) const {
  if (directory.empty() || !fs::is_directory(directory)) return std::nullopt;
  const std::string key = identity_key(sources, raster, layout, mode);
  const std::string path = cache_file(directory, key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const auto mapping = map_file_readonly(fd);
  ::close(fd);
  if (!mapping) return std::nullopt;
  try {
    Reader r(static_cast<const char*>(mapping->data), mapping->size);
    char magic[8];
    r.raw(magic, 8);
    if (std::memcmp(magic, kMagic, 8) != 0) return std::nullopt;
    if (r.pod<uint32_t>() != sizeof(WindowRun)) return std::nullopt;
    if (r.str() != key) return std::nullopt;
    GridGeometry g;
    r.raw(&g, sizeof g);
    if (!g.same_grid(raster.grid)) return std::nullopt;
    // Zone files: same size and mtime, or (when those changed) the same content hash.
    for (const auto& s : sources) {
      const std::string stored_path = r.str();
      const auto size = r.pod<int64_t>();
      const auto mtime = r.pod<int64_t>();
      const std::string sha = r.str();
      if (stored_path != normal_path(s.path)) return std::nullopt;
      if (!fs::exists(s.path)) continue;  // a GDAL connection string: identified by name only
      const FileStamp now = stamp_file(s.path, false);
      if (now.size != size || now.mtime_ns != mtime) {
        if (sha.empty() || sha256_file(s.path) != sha) return std::nullopt;
      }
    }
    PreparedIndex p;
    const auto nlayers = r.pod<uint64_t>();
    if (nlayers != sources.size()) return std::nullopt;
    for (uint64_t l = 0; l < nlayers; ++l) {
      ZoneSet z;
      z.layer_name = r.str();
      const auto nf = r.pod<uint64_t>();
      for (uint64_t i = 0; i < nf; ++i) z.field_names.push_back(r.str());
      const auto nz = r.pod<uint64_t>();
      if (nz > (1ull << 32)) return std::nullopt;
      z.ids.reserve(nz);
      z.fields.reserve(nz);
      for (uint64_t i = 0; i < nz; ++i) {
        z.ids.push_back(r.str());
        std::vector<std::string> f;
        for (uint64_t j = 0; j < nf; ++j) f.push_back(r.str());
        z.fields.push_back(std::move(f));
      }
      z.repaired = r.pod<uint64_t>();
      z.empty = r.pod<uint64_t>();
      z.reprojected = r.pod<uint8_t>() != 0;
      p.layers.push_back(std::move(z));
    }
    p.index.layout = layout;
    p.index.mode = mode;
    p.index.zone_count = r.pod<uint64_t>();
    const auto nwin = r.pod<uint64_t>();
    if (nwin != static_cast<uint64_t>(layout.count())) return std::nullopt;
    r.align(8);
    p.index.offsets.resize(nwin + 1);
    r.raw(p.index.offsets.data(), (nwin + 1) * sizeof(uint64_t));
    for (size_t w = 0; w < nwin; ++w)
      if (p.index.offsets[w + 1] < p.index.offsets[w]) return std::nullopt;
    const uint64_t total = p.index.offsets.back();
    if (p.index.offsets.front() != 0 || total > mapping->size / sizeof(WindowRun)) return std::nullopt;
    // The runs stay in the mapped file: no copy, and pages are read as windows need them (and
    // dropped after use when the index is larger than the memory budget).
    const auto* runs = reinterpret_cast<const WindowRun*>(r.here());
    r.skip(total * sizeof(WindowRun));
    const int64_t wrows = layout.count() ? layout.window_rows() : 0, wcols = layout.window_cols();
    for (int64_t b = 0; b < wrows; ++b) {
      p.index.band_runs.push_back(runs + p.index.offsets[b * wcols]);
      p.index.band_in_file.push_back(1);
    }
    p.index.mappings.push_back(mapping);
    p.index.release_after_use = total * sizeof(WindowRun) > index_memory_budget();
    char end[8];
    r.raw(end, 8);
    if (std::memcmp(end, kMagic, 8) != 0) return std::nullopt;
    return p;
  } catch (const std::exception&) {
    return std::nullopt;  // damaged or truncated: rebuild, never use
  }
}

void CoverageCache::store(const std::vector<ZoneSource>& sources, const RasterInfo& raster, const WindowLayout& layout,
                          CoverageMode mode, const PreparedIndex& p) const {
  if (directory.empty() || !writable) return;
  try {
    fs::create_directories(directory);
    const std::string key = identity_key(sources, raster, layout, mode);
    const std::string path = cache_file(directory, key);
    const std::string temp = path + ".tmp." + std::to_string(getpid());
    std::FILE* f = std::fopen(temp.c_str(), "wb");
    if (!f) throw std::runtime_error(std::strerror(errno));
    Writer w(f);
    w.raw(kMagic, 8);
    w.pod<uint32_t>(sizeof(WindowRun));
    w.str(key);
    w.raw(&raster.grid, sizeof raster.grid);
    for (const auto& s : sources) {
      w.str(normal_path(s.path));
      if (fs::exists(s.path)) {
        const FileStamp st = stamp_file(s.path, true);
        w.pod<int64_t>(st.size);
        w.pod<int64_t>(st.mtime_ns);
        w.str(st.sha256);
      } else {
        w.pod<int64_t>(-1);
        w.pod<int64_t>(0);
        w.str("");
      }
    }
    w.pod<uint64_t>(p.layers.size());
    for (const auto& z : p.layers) {
      w.str(z.layer_name);
      w.pod<uint64_t>(z.field_names.size());
      for (const auto& f : z.field_names) w.str(f);
      w.pod<uint64_t>(z.ids.size());
      for (size_t i = 0; i < z.ids.size(); ++i) {
        w.str(z.ids[i]);
        for (const auto& v : z.fields[i]) w.str(v);
      }
      w.pod<uint64_t>(z.repaired);
      w.pod<uint64_t>(z.empty);
      w.pod<uint8_t>(z.reprojected ? 1 : 0);
    }
    w.pod<uint64_t>(p.index.zone_count);
    w.pod<uint64_t>(p.index.offsets.size() - 1);
    w.align(8);
    w.raw(p.index.offsets.data(), p.index.offsets.size() * sizeof(uint64_t));
    const int64_t wrows = layout.count() ? layout.window_rows() : 0;
    for (int64_t b = 0; b < wrows; ++b) {
      const auto band = p.index.band(b);
      w.raw(band.data(), band.size() * sizeof(WindowRun));
      // A spilled band was read through its mapping just for this copy: give the pages back.
      for (int64_t c = 0; c < layout.window_cols(); ++c) p.index.release_window(b * layout.window_cols() + c);
    }
    w.raw(kMagic, 8);
    const bool ok = w.ok() && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
    std::fclose(f);
    if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
      std::remove(temp.c_str());
      throw std::runtime_error("write failed (disk full?)");
    }
  } catch (const std::exception& e) {
    log_warning("coverage cache not written in " + directory + " (" + e.what() + "); the next run prepares the zones again");
  }
}

PreparedIndex prepare_zones_cached(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                   CoverageMode mode, const CoverageCache& cache) {
  const WindowLayout layout = accumulation_layout(raster.grid.width, raster.grid.height);
  if (auto hit = cache.load(sources, raster, layout, mode)) {
    log_info("coverage index from the cache in " + cache.directory);
    for (const auto& z : hit->layers)
      if (z.repaired) log_warning(z.layer_name + ": " + std::to_string(z.repaired) + " invalid geometries were repaired with MakeValid");
    return std::move(*hit);
  }
  PreparedIndex p;
  std::vector<std::vector<Ring>> all;
  for (const auto& s : sources) {
    p.layers.push_back(read_zones(s, raster));
    for (auto& rings : p.layers.back().rings) all.push_back(std::move(rings));
    p.layers.back().rings.clear();
  }
  const auto t_index = std::chrono::steady_clock::now();
  p.index = build_coverage_index(std::move(all), layout, mode);
  if (std::getenv("NIGHTLIGHTS_TIMING"))
    std::fprintf(stderr, "timing: coverage index %.3f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t_index).count());
  cache.store(sources, raster, layout, mode, p);
  return p;
}

}  // namespace nl
