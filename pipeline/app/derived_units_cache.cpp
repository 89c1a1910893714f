// The GeoPackages' derived units kept between runs (see derived_units_cache.hpp).
#include "pipeline/app/derived_units_cache.hpp"

#include <ogr_geometry.h>

#include "pipeline/io/build_info.hpp"
#include "pipeline/io/byte_buffer.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

constexpr char kMagic[] = "NLUNITS1\n";

std::string units_path(const std::string& out, const std::string& level) {
  return out + "/panel/.geopackages/" + level + ".units";
}

std::string wkb_of(const OGRGeometry& g) {
  std::string wkb(static_cast<size_t>(g.WkbSize()), '\0');
  g.exportToWkb(wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()), wkbVariantIso);
  return wkb;
}

}  // namespace

std::string derived_units_key(const RunConfig& config) {
  std::string key = std::string("derived-units 1\nbuild ") + git_describe() + "\n";
  for (const ZoneLayerConfig& z : config.zones) {
    const auto file = plain_file_identity(z.path);
    if (!file) return "";
    key += "zones " + z.name + "|" + *file + "|" + z.layer + "|" + z.id_field + "|" +
           datum_name(z.datum) + "|" + z.assume_crs + "|";
    for (const auto& f : z.fields) key += f + ",";
    key += "\n";
  }
  for (const LevelConfig& l : config.levels) {
    std::string lookup;
    for (const auto& [from, to] : l.lookup) lookup += from + "\t" + to + "\n";
    key += "level " + l.name + "|" + l.zones + "|" + l.from + "|" + l.key_field + "|" +
           std::to_string(l.prefix) + "|" + l.suffix + "|" + l.unmatched + "|" + l.lookup_source +
           "|" + sha256_text(lookup) + "\n";
  }
  return key;
}

std::optional<std::vector<UnitGeometry>> stored_derived_units(
    const std::string& out, const std::string& level, const std::string& key,
    const std::vector<std::string>& codes) {
  if (key.empty()) return std::nullopt;
  const auto file = read_whole_file(units_path(out, level));
  if (!file) return std::nullopt;
  ByteReader r(*file);
  if (!r.literal(kMagic) || r.get_string() != key) return std::nullopt;
  if (const uint64_t n = r.get<uint64_t>(); !r.ok() || n != codes.size()) return std::nullopt;
  std::vector<UnitGeometry> units(codes.size());
  for (size_t u = 0; u < units.size(); ++u) {
    units[u].code = r.get_string();
    const std::string wkb = r.get_string();
    if (!r.ok() || units[u].code != codes[u]) return std::nullopt;
    if (wkb.empty()) continue;  // a unit without geometry
    OGRGeometry* g = nullptr;
    if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &g, wkb.size(), wkbVariantIso) !=
        OGRERR_NONE)
      return std::nullopt;
    units[u].geometry.reset(g);
  }
  if (!r.at_end()) return std::nullopt;
  return units;
}

void store_derived_units(const std::string& out, const std::string& level, const std::string& key,
                         const std::vector<UnitGeometry>& units) {
  if (key.empty()) return;
  ByteWriter w;
  w.put_raw(kMagic);
  w.put_string(key);
  w.put<uint64_t>(units.size());
  for (const UnitGeometry& u : units) {
    w.put_string(u.code);
    w.put_string(u.geometry ? wkb_of(*u.geometry) : std::string());
  }
  keep_for_next_run(units_path(out, level), w.out, "the GeoPackage units");
}

}  // namespace nl
