// The coverage index cache: the file format (checksummed, memory-mapped on load), its validation
// (anything wrong means "rebuild and replace", never a wrong result or an error every run), the
// size limit with least-recently-used eviction, and the `nightlights cache` listing.
#include "pipeline/engine/coverage_cache.hpp"

#include "pipeline/engine/chunked_checksum.hpp"
#include "pipeline/engine/engine_limits.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "pipeline/io/byte_buffer.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

// Format 02 added a trailing XXH3-64 checksum of everything before it; format 03 makes it the
// chunked checksum (chunked_checksum.hpp), which a warm run verifies on all its threads. Files
// of older formats are rebuilt.
constexpr char kMagic[8] = {'N', 'L', 'C', 'O', 'V', '0', '3', '\n'};
constexpr size_t kChecksumBytes = sizeof(uint64_t);

// Why a cache file is not used; it is then rebuilt and replaced, with a warning saying why (an
// information line for zones that changed: the ordinary way an entry goes stale).
struct Rejected {
  std::string why;
  bool warn = true;
};

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

// Writes the cache file and hashes every byte it writes, for the trailing checksum.
class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) {}
  void raw(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) ok_ = false;
    hash_.update(p, n);
    written_ += n;
  }
  // The checksum of everything written so far, written last (not part of what it covers).
  void checksum() {
    const uint64_t digest = hash_.digest();
    if (std::fwrite(&digest, 1, sizeof digest, f_) != sizeof digest) ok_ = false;
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
  ChunkedChecksum hash_;
  bool ok_ = true;
  size_t written_ = 0;
};

// Reads the mapped cache file through ByteReader, turning its failed reads into Rejected. Its
// checksum was verified first, so a failure here means a file this version did not write the way
// it reads it: rebuilt.
class Reader {
 public:
  Reader(const char* data, size_t size) : r_(data, size) {}
  void raw(void* p, size_t n) { check(r_.read(p, n)); }
  template <typename T>
  T pod() {
    const T v = r_.get<T>();
    check(r_.ok());
    return v;
  }
  std::string str() {
    const auto n = pod<uint64_t>();
    if (!r_.plausible(n, 1)) throw Rejected{"holds an implausible length"};
    return r_.get_bytes(n);
  }
  void align(size_t a) { check(r_.align(a)); }
  const char* here() const { return r_.here(); }
  void skip(size_t n) { check(r_.skip(n)); }

 private:
  static void check(bool ok) {
    if (!ok) throw Rejected{"is shorter than its contents say"};
  }
  ByteReader r_;
};

std::string cache_file(const std::string& dir, const std::string& key) {
  // The key can be long (WKT); its SHA-256 names the file, the key itself is stored and compared.
  return dir + "/coverage-" + sha256_text(key).substr(0, 32) + ".nlcov";
}

// The chunked checksum of everything before the file's last 8 bytes, which hold it. Hashing
// touches every page once; when the runs will be released window by window (an index over the
// memory budget), each hashed chunk's pages are handed back at once so the check costs no memory.
bool checksum_matches(const MappedFile& m, bool release_pages) {
  if (m.size < sizeof kMagic + kChecksumBytes) return false;
  const auto* data = static_cast<const unsigned char*>(m.data);
  const size_t covered = m.size - kChecksumBytes;
  uint64_t stored;
  std::memcpy(&stored, data + covered, sizeof stored);
  return chunked_checksum(data, covered, release_pages) == stored;
}

// The index in a mapped cache file, or Rejected saying why it cannot be used.
PreparedIndex read_index(const std::shared_ptr<const MappedFile>& mapping, const std::string& key,
                         const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                         const WindowLayout& layout, CoverageMode mode) {
  if (mapping->size < sizeof kMagic) throw Rejected{"is truncated"};
  if (std::memcmp(mapping->data, kMagic, 5) == 0 && std::memcmp(mapping->data, kMagic, sizeof kMagic) != 0)
    throw Rejected{"is in another format version (written by another nightlights) or damaged"};
  if (std::memcmp(mapping->data, kMagic, sizeof kMagic) != 0) throw Rejected{"is damaged (not a coverage cache header)"};
  // Verified once over the whole file: after this, every byte is as written, so the structural
  // checks below cannot fail on a damaged file and neither can the engine's check of the runs.
  if (!checksum_matches(*mapping, mapping->size > index_memory_budget()))
    throw Rejected{"is damaged (checksum mismatch)"};
  Reader r(static_cast<const char*>(mapping->data), mapping->size - kChecksumBytes);
  r.skip(sizeof kMagic);
  if (r.pod<uint32_t>() != sizeof(WindowRun)) throw Rejected{"was written by a build with another run layout"};
  if (r.str() != key) throw Rejected{"was made for other inputs (name collision)"};
  GridGeometry g;
  r.raw(&g, sizeof g);
  if (!g.same_grid(raster.grid)) throw Rejected{"was made for a slightly different grid"};
  // Zone files: same size and mtime, or (when those changed) the same content hash.
  for (const auto& s : sources) {
    const std::string stored_path = r.str();
    const auto size = r.pod<int64_t>();
    const auto mtime = r.pod<int64_t>();
    const std::string sha = r.str();
    if (stored_path != normal_path(s.path)) throw Rejected{"was made for other zone files"};
    if (!fs::exists(s.path)) continue;  // a GDAL connection string: identified by name only
    const FileStamp now = stamp_file(s.path, false);
    if (now.size != size || now.mtime_ns != mtime) {
      if (sha.empty() || sha256_file(s.path) != sha) throw Rejected{"is stale (" + s.path + " changed)", false};
    }
  }
  PreparedIndex p;
  const auto nlayers = r.pod<uint64_t>();
  if (nlayers != sources.size()) throw Rejected{"holds another number of zone layers"};
  for (uint64_t l = 0; l < nlayers; ++l) {
    ZoneSet z;
    z.layer_name = r.str();
    const auto nf = r.pod<uint64_t>();
    for (uint64_t i = 0; i < nf; ++i) z.field_names.push_back(r.str());
    const auto nz = r.pod<uint64_t>();
    if (nz > (1ull << 32)) throw Rejected{"holds an implausible zone count"};
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
  if (nwin != static_cast<uint64_t>(layout.count())) throw Rejected{"has another window layout"};
  r.align(8);
  p.index.offsets.resize(nwin + 1);
  r.raw(p.index.offsets.data(), (nwin + 1) * sizeof(uint64_t));
  for (size_t w = 0; w < nwin; ++w)
    if (p.index.offsets[w + 1] < p.index.offsets[w]) throw Rejected{"has unordered window offsets"};
  const uint64_t total = p.index.offsets.back();
  if (p.index.offsets.front() != 0 || total > mapping->size / sizeof(WindowRun))
    throw Rejected{"has window offsets beyond its end"};
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
  if (std::memcmp(end, kMagic, 8) != 0) throw Rejected{"has no end marker"};
  return p;
}

// Marks an entry as just used, for least-recently-used eviction (mtime: atime is often off).
void touch(const std::string& path) { ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); }

bool is_cache_entry(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.rfind("coverage-", 0) == 0 && p.extension() == ".nlcov";
}

std::string megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// What the header says the entry is for, read from its identity key (not checksummed: only for
// display). "grid 756x540 0.0833333 -0.0833333 …" → "grid 756x540, cells 0.0833333 x -0.0833333".
std::string describe_entry(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  uint32_t run_size = 0;
  uint64_t key_size = 0;
  in.read(magic, 8);
  in.read(reinterpret_cast<char*>(&run_size), sizeof run_size);
  in.read(reinterpret_cast<char*>(&key_size), sizeof key_size);
  if (!in || std::memcmp(magic, kMagic, 8) != 0) return "(another format version, or damaged: rebuilt on use)";
  if (key_size > (1u << 20)) return "(damaged header: rebuilt on use)";
  std::string key(key_size, '\0');
  in.read(key.data(), static_cast<std::streamsize>(key_size));
  std::istringstream lines(key);
  std::string line, grid, mode, zones;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string tag, a, b, c;
    words >> tag;
    if (tag == "grid" && words >> a >> b >> c) grid = "grid " + a + ", cells " + b + " x " + c;
    if (tag == "mode") words >> mode;
    if (tag == "zones") {
      const std::string spec = line.substr(6);
      const auto bar = spec.find('|'), bar2 = spec.find('|', bar + 1);
      const std::string layer = bar == std::string::npos ? "" : spec.substr(bar + 1, bar2 - bar - 1);
      zones += (zones.empty() ? "zones " : "; ") + spec.substr(0, bar) + (layer.empty() ? "" : " (" + layer + ")");
    }
  }
  return grid + ", " + mode + ", " + zones;
}

}  // namespace

uint64_t cache_max_bytes() { return engine_limits().cache_max_bytes; }

std::vector<CacheEntry> list_cache(const std::string& directory, bool describe) {
  std::vector<CacheEntry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (!is_cache_entry(it->path()) || ::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    entries.push_back({it->path().string(), static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtime), ""});
  }
  // Least recently used first; the name breaks ties so the order never depends on the listing.
  std::sort(entries.begin(), entries.end(), [](const CacheEntry& a, const CacheEntry& b) {
    return a.last_used != b.last_used ? a.last_used < b.last_used : a.path < b.path;
  });
  if (describe)
    for (auto& e : entries) e.description = describe_entry(e.path);
  return entries;
}

std::vector<CacheEntry> clear_cache(const std::string& directory) {
  std::vector<CacheEntry> removed;
  for (auto& e : list_cache(directory, false)) {
    std::error_code ec;
    if (fs::remove(e.path, ec)) removed.push_back(std::move(e));
  }
  remove_stale_temporaries(directory, false);
  return removed;
}

void evict_least_recently_used(const std::string& directory, uint64_t max_bytes, const std::string& keep) {
  const auto entries = list_cache(directory, false);  // runs at every cache use: no headers read
  uint64_t total = 0;
  for (const auto& e : entries) total += e.bytes;
  // A job on another node may have an evicted entry mapped: unlinking leaves its mapping whole.
  for (const auto& e : entries) {
    if (total <= max_bytes) break;
    if (e.path == keep) continue;
    std::error_code ec;
    if (fs::remove(e.path, ec)) {
      total -= e.bytes;
      log_info("coverage cache: evicted " + e.path + " (" + megabytes(e.bytes) + ", least recently used)");
    }
  }
  if (total > max_bytes && fs::exists(keep)) {
    std::error_code ec;
    fs::remove(keep, ec);
    log_warning("coverage cache entry " + keep + " removed: alone over the limit of " + megabytes(max_bytes) +
                " (NIGHTLIGHTS_CACHE_MAX_MB)");
  }
}

void CoverageCache::tidy(const std::vector<ZoneSource>& sources, const RasterInfo& raster, const WindowLayout& layout,
                         CoverageMode mode) const {
  if (directory.empty() || !writable || !fs::is_directory(directory)) return;
  remove_stale_temporaries(directory, false);
  evict_least_recently_used(directory, cache_max_bytes(),
                            cache_file(directory, identity_key(sources, raster, layout, mode)));
}

std::optional<PreparedIndex> CoverageCache::load(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                                 const WindowLayout& layout, CoverageMode mode) const {
  if (directory.empty() || !fs::is_directory(directory)) return std::nullopt;
  const std::string key = identity_key(sources, raster, layout, mode);
  const std::string path = cache_file(directory, key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // absent: the usual first run
  // An index within the memory budget is checksummed and then used in full: fault it in at once.
  const auto mapping = map_file_readonly(fd, index_memory_budget());
  ::close(fd);
  try {
    if (!mapping) throw Rejected{"is empty or cannot be mapped"};
    PreparedIndex p = read_index(mapping, key, sources, raster, layout, mode);
    touch(path);
    return p;
  } catch (const Rejected& r) {
    (r.warn ? log_warning : log_info)("coverage cache " + path + " " + r.why + "; preparing the zones again" +
                                      (writable ? " and replacing it" : ""));
  } catch (const std::exception& e) {
    log_warning("coverage cache " + path + " cannot be read (" + e.what() + "); preparing the zones again");
  }
  return std::nullopt;
}

void CoverageCache::store(const std::vector<ZoneSource>& sources, const RasterInfo& raster, const WindowLayout& layout,
                          CoverageMode mode, const PreparedIndex& p) const {
  if (directory.empty() || !writable) return;
  const uint64_t max_bytes = cache_max_bytes();
  try {
    fs::create_directories(directory);
    const std::string key = identity_key(sources, raster, layout, mode);
    const std::string path = cache_file(directory, key);
    // Larger than the whole cache may be: not worth writing (runs and offsets alone already are).
    const uint64_t least = p.index.total_runs() * sizeof(WindowRun) + p.index.offsets.size() * sizeof(uint64_t);
    if (least > max_bytes) {
      log_warning("coverage index of " + megabytes(least) + " not cached: over the cache's limit of " +
                  megabytes(max_bytes) + " (NIGHTLIGHTS_CACHE_MAX_MB)");
      return;
    }
    const std::string temp = temporary_path(path);
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
      p.index.release_band(b);
    }
    w.raw(kMagic, 8);
    w.checksum();
    const bool ok = w.ok() && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
    std::fclose(f);
    if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
      std::remove(temp.c_str());
      throw std::runtime_error("write failed (disk full?)");
    }
    evict_least_recently_used(directory, max_bytes, path);
  } catch (const std::exception& e) {
    log_warning("coverage cache not written in " + directory + " (" + e.what() + "); the next run prepares the zones again");
  }
}

PreparedIndex prepare_zones_cached(const std::vector<ZoneSource>& sources, const RasterInfo& raster,
                                   CoverageMode mode, const CoverageCache& cache) {
  const WindowLayout layout = accumulation_layout(raster.grid.width, raster.grid.height);
  cache.tidy(sources, raster, layout, mode);
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
  log_timing("coverage index", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_index).count());
  cache.store(sources, raster, layout, mode, p);
  return p;
}

}  // namespace nl
