// NASA Black Marble HDF5 tiles read through GDAL's HDF5 driver: GDAL 3.6 gives the layers no
// georeferencing, so each tile's subdataset is placed by pixel offsets (DstRect) in a VRT on the
// exact 10° / 1/240° lattice computed from h and v; scale, offset and fill go on the VRT band.
#include "pipeline/io/black_marble.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/eog_tiles.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/vector_source.hpp"
#include "pipeline/io/vrt_text.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

constexpr int kTileCells = 2400;
constexpr double kCell = 1.0 / 240.0;

// Built by append: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
std::string two_digits(int n) {
  std::string s = n < 10 ? "0" : "";
  s.append(std::to_string(n));
  return s;
}

uint64_t little_endian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// What a non-HDF5 file starts with, for the message: its first line, at most 24 characters, or
// just its first tag when it is markup ("<!DOCTYPE html>").
std::string opening_text(const std::string& head) {
  std::string shown;
  for (char c : head.substr(0, 24)) {
    if (c == '\n' || c == '\r') break;
    shown += (c >= 32 && c < 127) ? c : '?';
    if (c == '>' && shown[0] == '<') break;
  }
  return shown;
}

// The end-of-file address the superblock at `at` records (0 when the layout is not known).
uint64_t superblock_eof(const std::string& head, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(head.data()) + at;
  const size_t avail = head.size() - at;
  if (avail < 16) return 0;
  const int version = p[8];
  if (version == 0 || version == 1) {
    const int offsets = p[13];
    const size_t base = 24 + (version == 1 ? 4 : 0);  // base address follows the K values and flags
    if (offsets < 2 || offsets > 8 || avail < base + 3 * offsets) return 0;
    return little_endian(p + base + 2 * offsets, offsets);  // base, free-space, then end of file
  }
  if (version == 2 || version == 3) {
    const int offsets = p[9];
    if (offsets < 2 || offsets > 8 || avail < 12 + 3 * static_cast<size_t>(offsets)) return 0;
    return little_endian(p + 12 + 2 * offsets, offsets);  // base, extension, then end of file
  }
  return 0;
}

// Reads a band's metadata item whose key ends with `_<attribute>` (GDAL prefixes the path).
std::optional<double> layer_attribute(GDALRasterBand* band, const std::string& attribute) {
  char** md = band->GetMetadata();
  for (char** it = md; it && *it; ++it) {
    const std::string item = *it;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = item.substr(0, eq), suffix = "_" + attribute;
    if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      if (attribute == "offset" && key.size() >= 11 && key.compare(key.size() - 11, 11, "_add_offset") == 0) continue;
      return std::strtod(item.c_str() + eq + 1, nullptr);
    }
  }
  return std::nullopt;
}

struct LayerInfo {
  std::string subdataset;
  std::string data_type;
  double scale = 1, offset = 0;
  std::optional<double> fill;
};

// Finds `layer` in either grid group of the file through GDAL's subdataset list, checks the
// tile attributes against `tile`, and reads the layer's type and attributes.
LayerInfo open_layer(const std::string& path, TileId tile, const std::string& layer) {
  clear_gdal_error();
  std::unique_ptr<GDALDataset> file(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!file) throw UserError(path + ": cannot open as HDF5 (" + last_gdal_error() + ") — damaged or truncated? re-download it");
  for (const char* attr : {"HorizontalTileNumber", "VerticalTileNumber"}) {
    const char* value = file->GetMetadataItem(attr);
    if (!value) continue;
    const int expected = attr[0] == 'H' ? tile.h : tile.v;
    if (std::atoi(value) != expected)
      throw UserError(path + ": the name says tile " + tile.name() + " but the file's " + attr + " is " + value +
                      "; which one is right? (fix the name or the file)");
  }
  LayerInfo info;
  std::vector<std::string> layers;
  char** sds = file->GetMetadata("SUBDATASETS");
  for (char** it = sds; it && *it; ++it) {
    const std::string item = *it;
    const size_t eq = item.find('=');
    if (eq == std::string::npos || item.find("_NAME=") == std::string::npos) continue;
    const std::string name = item.substr(eq + 1);
    const size_t slash = name.rfind('/');
    layers.push_back(name.substr(slash + 1));
    for (const char* group : {"/HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data_Fields/", "/HDFEOS/GRIDS/VNP_Grid_DNB/Data_Fields/"})
      if (name.size() > layer.size() && name.ends_with(group + layer)) info.subdataset = name;
  }
  if (info.subdataset.empty()) {
    std::string list;
    for (size_t i = 0; i < layers.size() && i < 12; ++i) list += (i ? ", " : "") + layers[i];
    throw UserError(path + ": no layer '" + layer + "' in HDFEOS/GRIDS/{VIIRS_Grid_DNB_2d,VNP_Grid_DNB}/Data Fields" +
                    (list.empty() ? "" : " (it has " + list + ")") + " — set releases.layer");
  }
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(info.subdataset.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds || ds->GetRasterXSize() != kTileCells || ds->GetRasterYSize() != kTileCells)
    throw UserError(path + ": layer '" + layer + "' is not a 2400 x 2400 grid" + (ds ? "" : " (" + last_gdal_error() + ")"));
  GDALRasterBand* band = ds->GetRasterBand(1);
  info.data_type = GDALGetDataTypeName(band->GetRasterDataType());
  info.scale = layer_attribute(band, "scale_factor").value_or(1.0);
  info.offset = layer_attribute(band, "add_offset").value_or(layer_attribute(band, "offset").value_or(0.0));
  info.fill = layer_attribute(band, "_FillValue");
  return info;
}

// Where a tile's cells start in the lattice of tiles h0.., v0..
std::string dst_rect(TileId t, TileId corner) {
  return "<DstRect xOff=\"" + std::to_string((t.h - corner.h) * kTileCells) + "\" yOff=\"" +
         std::to_string((t.v - corner.v) * kTileCells) + "\" xSize=\"2400\" ySize=\"2400\"/>";
}

std::string vrt_header(TileId corner, int cols, int rows, const std::string& type) {
  const GridGeometry g = black_marble_tile_grid(corner);
  std::ostringstream x;
  x << "<VRTDataset rasterXSize=\"" << cols * kTileCells << "\" rasterYSize=\"" << rows * kTileCells << "\">\n"
    << "  <SRS dataAxisToSRSAxisMapping=\"2,1\">EPSG:4326</SRS>\n"
    << "  <GeoTransform>" << exact_number_text(g.origin_x) << ", " << exact_number_text(kCell) << ", 0, " << exact_number_text(g.origin_y)
    << ", 0, " << exact_number_text(-kCell) << "</GeoTransform>\n"
    // Blocks of 240 divide the tile edge, so no block straddles two tiles.
    << "  <VRTRasterBand dataType=\"" << type << "\" band=\"1\" blockXSize=\"240\" blockYSize=\"240\">\n";
  return x.str();
}

std::string source_xml(const char* kind, const std::string& subdataset, TileId t, TileId corner,
                       const std::string& extra = "") {
  return std::string("    <") + kind + ">\n      <SourceFilename relativeToVRT=\"0\">" + xml_escape(subdataset) +
         "</SourceFilename>\n      <SourceBand>1</SourceBand>\n" +
         "      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"2400\" ySize=\"2400\"/>\n      " + dst_rect(t, corner) + "\n" +
         extra + "    </" + kind + ">\n";
}

// Quality values in `keep` map to 1, every other value (fill included) to 0.
std::string keep_lut(const std::vector<int>& keep) {
  std::string lut;
  for (int v = 0; v <= 255; ++v)
    lut.append(v ? "," : "").append(std::to_string(v)).append(std::count(keep.begin(), keep.end(), v) ? ":1" : ":0");
  return "      <LUT>" + lut + "</LUT>\n";
}

}  // namespace

std::string TileId::name() const {
  if (lattice == TileLattice::eog) return eog_tile_name(*this);
  std::string s = "h";
  s.append(two_digits(h)).append("v").append(two_digits(v));
  return s;
}

std::optional<TileId> parse_tile_id(const std::string& t) {
  if (auto eog = parse_eog_tile(t)) return eog;
  if (t.size() != 6 || t[0] != 'h' || t[3] != 'v') return std::nullopt;
  for (int i : {1, 2, 4, 5})
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
  const TileId id{std::stoi(t.substr(1, 2)), std::stoi(t.substr(4, 2))};
  if (id.h > 35 || id.v > 17) return std::nullopt;
  return id;
}

GridGeometry black_marble_tile_grid(TileId t) {
  return {-180.0 + 10.0 * t.h, 90.0 - 10.0 * t.v, kCell, -kCell, kTileCells, kTileCells};
}

std::vector<TileId> tiles_meeting(double west, double south, double east, double north) {
  std::vector<TileId> out;
  for (int v = 0; v < 18; ++v)
    for (int h = 0; h < 36; ++h) {
      const double w = -180.0 + 10.0 * h, n = 90.0 - 10.0 * v;
      if (w < east && w + 10 > west && n > south && n - 10 < north) out.push_back({h, v});
    }
  return out;
}

std::string black_marble_product(const std::string& name) {
  const std::string product = name.substr(0, name.find('.'));
  for (const char* prefix : {"VNP46A", "VJ146A", "VJ246A"})
    if (product.size() == 7 && product.rfind(prefix, 0) == 0 && product[6] >= '1' && product[6] <= '4') return product;
  return "";
}

std::string black_marble_default_layer(const std::string& product) {
  switch (product.empty() ? '3' : product.back()) {
    case '1': return "DNB_At_Sensor_Radiance_500m";
    case '2': return "Gap_Filled_DNB_BRDF-Corrected_NTL";
    default: return "NearNadir_Composite_Snow_Free";
  }
}

std::string black_marble_default_quality_layer(const std::string& product, const std::string& layer) {
  const char kind = product.empty() ? '3' : product.back();
  if (kind == '2') return "Mandatory_Quality_Flag";
  if (kind == '3' || kind == '4') return layer + "_Quality";
  return "";
}

std::string black_marble_id_format(const std::string& product) {
  const char kind = product.empty() ? '1' : product.back();
  if (kind == '3') return "{year}-{month}";
  if (kind == '4') return "{year}";
  return "{year}-{month}-{day}";
}

void check_hdf5_file(const std::string& path) {
  static const char kSignature[] = "\x89HDF\r\n\x1a\n";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path + ": cannot read the file");
  const uint64_t size = fs::file_size(path);
  // The superblock sits at 0 or after a user block of 512, 1024, 2048, ... bytes.
  for (uint64_t at = 0; at + 8 <= size; at = at ? at * 2 : 512) {
    std::string head(256, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(at));
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (head.compare(0, 8, std::string(kSignature, 8)) != 0) continue;
    const uint64_t eof = superblock_eof(head, 0);
    if (eof && at + eof > size)
      throw UserError(path + ": truncated HDF5 file (" + std::to_string(size) + " of " + std::to_string(at + eof) +
                      " bytes) — an interrupted download? re-download it");
    return;
  }
  std::string head(24, '\0');
  in.clear();
  in.seekg(0);
  in.read(head.data(), 24);
  head.resize(static_cast<size_t>(in.gcount()));
  throw UserError(path + ": not an HDF5 file (" + (head.empty() ? std::string("empty") : "starts with \"" + opening_text(head) + "\"") +
                  ") — a failed download?");
}

std::vector<TileId> tiles_needed_by_zones(const std::vector<ZoneExtentSource>& layers, TileLattice lattice) {
  configure_gdal();
  std::vector<TileId> needed;
  for (const auto& z : layers) {
    const VectorLayer zones = open_vector_layer(z.path, z.layer);
    OGRLayer* layer = zones.layer;
    OGRSpatialReference lonlat, source;
    lonlat.importFromEPSG(4326);
    lonlat.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (const OGRSpatialReference* s = layer->GetSpatialRef()) source = *s;
    else if (!z.assume_crs.empty()) source.SetFromUserInput(z.assume_crs.c_str());
    std::unique_ptr<OGRCoordinateTransformation> ct;
    if (!source.IsEmpty() && !source.IsGeographic()) {
      source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      ct.reset(OGRCreateCoordinateTransformation(&source, &lonlat));
    }
    for (auto& feature : *layer) {
      const OGRGeometry* g = feature->GetGeometryRef();
      if (!g || g->IsEmpty()) continue;
      OGREnvelope e;
      g->getEnvelope(&e);
      if (ct) {
        // The envelope of the four transformed corners (zones are small against a 10° tile).
        double xs[4] = {e.MinX, e.MaxX, e.MinX, e.MaxX}, ys[4] = {e.MinY, e.MinY, e.MaxY, e.MaxY};
        if (!ct->Transform(4, xs, ys)) continue;
        e.MinX = *std::min_element(xs, xs + 4), e.MaxX = *std::max_element(xs, xs + 4);
        e.MinY = *std::min_element(ys, ys + 4), e.MaxY = *std::max_element(ys, ys + 4);
      }
      const double w = e.MinX - z.pad_degrees, s = e.MinY - z.pad_degrees, east = e.MaxX + z.pad_degrees,
                   n = e.MaxY + z.pad_degrees;
      for (const TileId& t : lattice == TileLattice::eog ? eog_tiles_meeting(w, s, east, n) : tiles_meeting(w, s, east, n))
        needed.push_back(t);
    }
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  return needed;
}

TileMosaic::~TileMosaic() {
  if (!radiance_vrt.empty()) VSIUnlink(radiance_vrt.c_str());
  if (!quality_vrt.empty()) VSIUnlink(quality_vrt.c_str());
}

namespace {

// The VRT sources of a release's tiles, and the radiance layer's attributes they share.
struct MosaicSources {
  std::string radiance, quality;
  std::vector<MosaicPart> radiance_parts, quality_parts;  // for read errors naming the tile file
  std::optional<LayerInfo> first;
  std::string first_path;
};

// Checks one tile and adds its radiance (and quality) layer, placed in the lattice from `corner`.
void add_tile(const TileFile& f, const BlackMarbleConfig& config, TileId corner, MosaicSources& m) {
  const std::string product = black_marble_product(fs::path(f.path).filename().string());
  const std::string layer = config.layer.empty() ? black_marble_default_layer(product) : config.layer;
  check_hdf5_file(f.path);
  const LayerInfo info = open_layer(f.path, f.tile, layer);
  if (!m.first) {
    m.first = info;
    m.first_path = f.path;
  } else if (info.scale != m.first->scale || info.offset != m.first->offset || info.fill != m.first->fill ||
             info.data_type != m.first->data_type) {
    throw UserError(f.path + ": layer '" + layer + "' has other scale/offset/fill/type than in " + m.first_path +
                    "; the tiles of one release must agree");
  }
  m.radiance += source_xml("SimpleSource", info.subdataset, f.tile, corner);
  const MosaicPart part{f.path, (f.tile.v - corner.v) * int64_t{kTileCells}, (f.tile.h - corner.h) * int64_t{kTileCells},
                        kTileCells, kTileCells};
  m.radiance_parts.push_back(part);
  if (!config.quality) return;
  const std::string qlayer =
      config.quality_layer.empty() ? black_marble_default_quality_layer(product, layer) : config.quality_layer;
  if (qlayer.empty()) throw UserError(f.path + ": " + product + " has no usual quality layer; set releases.quality.layer");
  const LayerInfo q = open_layer(f.path, f.tile, qlayer);
  if (q.data_type != "Byte")
    throw UserError(f.path + ": quality layer '" + qlayer + "' is " + q.data_type + ", not an 8-bit flag layer");
  m.quality += source_xml("ComplexSource", q.subdataset, f.tile, corner, keep_lut(config.keep));
  m.quality_parts.push_back(part);
}

}  // namespace

void build_black_marble_mosaic(const std::vector<TileFile>& tiles, const std::vector<TileId>& needed,
                               const BlackMarbleConfig& config, const std::string& tag, BlackMarbleMosaic& out) {
  configure_gdal();
  if (needed.empty()) throw UserError("black-marble release " + tag + ": the zones meet no Black Marble tile");
  // The lattice: the rectangle of tiles around the needed ones, whatever files are present.
  TileId lo = needed.front(), hi = needed.front();
  for (const TileId& t : needed) {
    lo = {std::min(lo.h, t.h), std::min(lo.v, t.v)};
    hi = {std::max(hi.h, t.h), std::max(hi.v, t.v)};
  }
  auto inside = [&](TileId t) { return t.h >= lo.h && t.h <= hi.h && t.v >= lo.v && t.v <= hi.v; };
  // Sources in tile order: the mosaic is the same whatever order the files were listed in.
  std::vector<TileFile> sorted = tiles;
  std::sort(sorted.begin(), sorted.end(), [](const TileFile& a, const TileFile& b) { return a.tile < b.tile; });
  MosaicSources sources;
  std::vector<TileId> present;
  for (const TileFile& f : sorted) {
    if (!inside(f.tile)) continue;  // no zone needs it
    add_tile(f, config, lo, sources);
    present.push_back(f.tile);
  }
  for (const TileId& t : needed)
    if (std::find(present.begin(), present.end(), t) == present.end()) out.missing.push_back(t);
  out.needed = needed.size();
  if (!sources.first)
    throw UserError("black-marble release " + tag + ": none of the " + std::to_string(needed.size()) +
                    " tiles the zones need is present");
  const LayerInfo& first = *sources.first;
  const int cols = hi.h - lo.h + 1, rows = hi.v - lo.v + 1;
  const std::string band = "    <NoDataValue>" + exact_number_text(first.fill.value_or(65535)) + "</NoDataValue>\n" +
                           "    <Offset>" + exact_number_text(first.offset) + "</Offset>\n    <Scale>" +
                           exact_number_text(first.scale) + "</Scale>\n";
  out.radiance_parts = std::move(sources.radiance_parts);
  out.quality_parts = std::move(sources.quality_parts);
  out.radiance_vrt = "/vsimem/nightlights-black-marble-" + tag + ".vrt";
  write_vsimem(out.radiance_vrt, vrt_header(lo, cols, rows, first.data_type) + band + sources.radiance +
                                     "  </VRTRasterBand>\n</VRTDataset>\n");
  if (config.quality) {
    out.quality_vrt = "/vsimem/nightlights-black-marble-" + tag + "-quality.vrt";
    write_vsimem(out.quality_vrt, vrt_header(lo, cols, rows, "Byte") + sources.quality +
                                      "  </VRTRasterBand>\n</VRTDataset>\n");
  }
}

}  // namespace nl
