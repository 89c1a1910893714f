// The maps' prepared zone geometry and its stored form (see map_geometry.hpp). The format is
// native-endian binary, refused on another byte order: the file is a cache of this machine's
// run, rebuilt from the zone layer whenever it does not fit.
#include "pipeline/pictures/map_geometry.hpp"

#include <gdal.h>
#include <proj.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>

#include "pipeline/io/byte_buffer.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

// Bump when map_shapes or map_canvas change how rings are made (thinning, quantising, inset).
constexpr uint32_t kFormatVersion = 1;
constexpr char kMagic[] = "nightlights map geometry\n";
constexpr uint32_t kByteOrder = 0x01020304;

void put_frame(ByteWriter& w, const MapFrame& f) { w.put(f.scale), w.put(f.x0), w.put(f.y0); }
MapFrame get_frame(ByteReader& r) {
  MapFrame f;
  f.scale = r.get<double>(), f.x0 = r.get<double>(), f.y0 = r.get<double>();
  return f;
}

}  // namespace

MapGeometry prepare_map_geometry(const ZoneLayerConfig& layer) {
  MapShapes shapes = read_map_shapes(layer);
  MapGeometry g;
  g.canvas = make_canvas(shapes);
  g.ids = std::move(shapes.ids);
  g.albers = shapes.albers;
  return g;
}

std::string map_geometry_key(const ZoneLayerConfig& z, const std::string& zone_sha256) {
  const MapLayout l;
  std::string key = "format " + std::to_string(kFormatVersion) + "\nzones " + z.path + "\nlayer " + z.layer +
                    "\nid " + z.id_field + "\ndatum " + std::to_string(static_cast<int>(z.datum)) + "\nassume_crs " +
                    z.assume_crs + "\nsha256 " + zone_sha256 + "\nlayout ";
  for (const double v : {double(l.width), double(l.height), l.map_left, l.map_top, l.map_right, l.map_bottom, l.legend_left,
                         double(kQuarterPixels)})
    key += format_number(v) + " ";
  key += "\ngdal " + std::string(GDALVersionInfo("RELEASE_NAME")) + "\nproj " + proj_info().version + "\n";
  return key;
}

std::string encode_map_geometry(const MapGeometry& g, const std::string& key) {
  ByteWriter w;
  w.put_raw(kMagic);
  w.put(kByteOrder), w.put(kFormatVersion);
  w.put_string(key);
  w.put(g.albers.lat_1), w.put(g.albers.lat_2), w.put(g.albers.lat_0), w.put(g.albers.lon_0);
  put_frame(w, g.canvas.frame);
  const MapInset& in = g.canvas.inset;
  w.put<uint8_t>(in.present), w.put(in.left), w.put(in.top), w.put(in.right), w.put(in.bottom);
  put_frame(w, in.frame);
  w.put<uint64_t>(g.ids.size());
  for (size_t p = 0; p < g.ids.size(); ++p) {
    w.put_string(g.ids[p]);
    w.put<uint64_t>(g.canvas.rings[p].size());
    for (const GridRing& ring : g.canvas.rings[p]) {
      w.put<uint64_t>(ring.size());
      for (const GridPoint& q : ring) w.put(q.x), w.put(q.y);
    }
  }
  return w.out;
}

std::optional<MapGeometry> decode_map_geometry(const std::string& bytes, const std::string* key) {
  ByteReader r(bytes);
  if (!r.literal(kMagic)) return std::nullopt;
  if (r.get<uint32_t>() != kByteOrder || r.get<uint32_t>() != kFormatVersion) return std::nullopt;
  const std::string stored_key = r.get_string();
  if (!r.ok() || (key && stored_key != *key)) return std::nullopt;
  MapGeometry g;
  g.key = stored_key;
  g.albers.lat_1 = r.get<double>(), g.albers.lat_2 = r.get<double>();
  g.albers.lat_0 = r.get<double>(), g.albers.lon_0 = r.get<double>();
  g.canvas.frame = get_frame(r);
  MapInset& in = g.canvas.inset;
  in.present = r.get<uint8_t>() != 0;
  in.left = r.get<double>(), in.top = r.get<double>(), in.right = r.get<double>(), in.bottom = r.get<double>();
  in.frame = get_frame(r);
  const uint64_t n = r.get<uint64_t>();
  if (!r.plausible(n, 16)) return std::nullopt;
  g.ids.resize(n);
  g.canvas.rings.resize(n);
  for (size_t p = 0; p < n && r.ok(); ++p) {
    g.ids[p] = r.get_string();
    const uint64_t rings = r.get<uint64_t>();
    if (!r.plausible(rings, 8)) break;
    g.canvas.rings[p].resize(rings);
    for (GridRing& ring : g.canvas.rings[p]) {
      const uint64_t points = r.get<uint64_t>();
      if (!r.plausible(points, 8)) break;
      ring.resize(points);
      for (GridPoint& q : ring) q.x = r.get<int32_t>(), q.y = r.get<int32_t>();
    }
  }
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return g;  // edges are left to whoever strokes borders (ReleaseMaps, when a mask is not kept)
}

std::string map_geometry_path(const std::string& out, const std::string& layer_name) {
  return out + "/panel/.maps/" + layer_name + ".geometry";
}

MapGeometry stored_or_prepared_map_geometry(const std::string& out, const ZoneLayerConfig& z,
                                            const std::string& zone_sha256) {
  const std::string path = map_geometry_path(out, z.name), key = map_geometry_key(z, zone_sha256);
  if (!zone_sha256.empty())
    if (const auto bytes = read_whole_file(path))
      if (auto stored = decode_map_geometry(*bytes, &key)) return std::move(*stored);
  MapGeometry g = prepare_map_geometry(z);
  if (!zone_sha256.empty()) {
    g.key = key;
    make_directories(std::filesystem::path(path).parent_path().string());
    write_file_atomically(path, encode_map_geometry(g, key));
  }
  return g;
}

MapGeometry stored_map_geometry(const std::string& out, const std::string& layer_name) {
  const std::string path = map_geometry_path(out, layer_name);
  const auto bytes = read_whole_file(path);
  if (!bytes) throw UserError(path + ": no stored map geometry (run `nightlights run` with pictures on first)");
  auto g = decode_map_geometry(*bytes, nullptr);
  if (!g) throw UserError(path + ": not map geometry of this version; run `nightlights run` again to rewrite it");
  return std::move(*g);
}

std::optional<std::vector<unsigned char>> stored_mask(const std::string& path, const std::string& key) {
  const auto bytes = read_whole_file(path);
  if (!bytes) return std::nullopt;
  ByteReader r(*bytes);
  if (r.get_string() != key) return std::nullopt;
  const uint64_t size = r.get<uint64_t>();
  const std::string packed = r.get_string();
  if (!r.ok() || !r.at_end() || size > (uint64_t(1) << 32)) return std::nullopt;
  std::vector<unsigned char> coverage(size);
  uLongf n = static_cast<uLongf>(size);
  if (uncompress(coverage.data(), &n, reinterpret_cast<const Bytef*>(packed.data()), packed.size()) != Z_OK || n != size)
    return std::nullopt;
  return coverage;
}

void store_mask(const std::string& path, const std::string& key, const std::vector<unsigned char>& coverage) {
  uLongf n = compressBound(coverage.size());
  std::string packed(n, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &n, coverage.data(), coverage.size(), 1) != Z_OK) return;
  packed.resize(n);
  ByteWriter w;
  w.put_string(key);
  w.put<uint64_t>(coverage.size());
  w.put_string(packed);
  make_directories(std::filesystem::path(path).parent_path().string());
  write_file_atomically(path, w.out);
}

}  // namespace nl
