// EOG monthly tiles: names, the six-tile lattice, and a release's GeoTIFF tiles as one VRT.
// Unlike Black Marble's HDF5, the tiles carry their own georeferencing; it is checked against
// the lattice instead of being trusted blindly, so that a stray file can never shift a mosaic.
#include "pipeline/io/eog_tiles.hpp"

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <sstream>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/vrt_text.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

constexpr const char* kColumns[] = {"180W", "060W", "060E"};
constexpr const char* kRows[] = {"75N", "00N"};
constexpr double kTileWidth = 120, kRowHeight[] = {75, 65};

// What a tile file says about itself.
struct TileRaster {
  double gt[6] = {0, 1, 0, 0, 0, -1};
  int64_t width = 0, height = 0;
  int block_x = 0, block_y = 0;
  std::string type;
  std::optional<double> nodata;
  double scale = 1, offset = 0;
};

TileRaster open_tile(const std::string& path) {
  if (!fs::exists(path)) throw UserError(path + ": tile file not found");
  clear_gdal_error();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw UserError(path + ": cannot open as a raster (" + last_gdal_error() + ") — damaged or truncated? re-download it");
  if (ds->GetRasterCount() < 1) throw UserError(path + ": has no raster bands");
  TileRaster r;
  if (ds->GetGeoTransform(r.gt) != CE_None) throw UserError(path + ": has no geotransform; cannot place the tile");
  if (r.gt[2] != 0 || r.gt[4] != 0 || !(r.gt[1] > 0) || !(r.gt[5] < 0))
    throw UserError(path + ": not a north-up lon/lat grid (geotransform rotated or flipped)");
  r.width = ds->GetRasterXSize();
  r.height = ds->GetRasterYSize();
  GDALRasterBand* band = ds->GetRasterBand(1);
  band->GetBlockSize(&r.block_x, &r.block_y);
  r.type = GDALGetDataTypeName(band->GetRasterDataType());
  int has = 0;
  const double nodata = band->GetNoDataValue(&has);
  if (has) r.nodata = nodata;
  r.scale = band->GetScale();
  r.offset = band->GetOffset();
  return r;
}

std::string describe_gt(const double* gt, int64_t width, int64_t height) {
  std::ostringstream s;
  s.precision(12);
  s << "origin (" << gt[0] << ", " << gt[3] << "), cell (" << gt[1] << ", " << gt[5] << "), " << width << " x " << height;
  return s.str();
}

// The lattice as the release's first tile gives it: the cell (whole divisions of 120° and 75°)
// and where cell corners sit against the tiles' nominal corners, in cells (EOG: -0.5, +0.5).
struct Lattice {
  double cell_x = 0, cell_y = 0;  // cell_y < 0
  double shift_x = 0, shift_y = 0;
  int64_t width = 0;
  int64_t height[2] = {0, 0};

  double west(TileId t) const { return eog_tile_bounds(t).west + shift_x * cell_x; }
  double north(TileId t) const { return eog_tile_bounds(t).north + shift_y * cell_y; }
};

int64_t whole_division(double extent, double cell) {
  const double n = extent / cell;
  return std::abs(n - std::round(n)) < 1e-3 ? std::llround(n) : 0;
}

Lattice lattice_from(const TileRaster& r, TileId t, const std::string& path) {
  Lattice l;
  l.width = whole_division(kTileWidth, r.gt[1]);
  l.height[0] = whole_division(kRowHeight[0], -r.gt[5]);
  l.height[1] = whole_division(kRowHeight[1], -r.gt[5]);
  if (!l.width || !l.height[0] || !l.height[1])
    throw UserError(path + ": cell (" + exact_number_text(r.gt[1]) + ", " + exact_number_text(r.gt[5]) +
                    ") does not divide EOG's tiles of 120° x 75° (north) and 65° (south)");
  // The exact cell of the lattice, not the file's rounded digits: the grid must not depend on
  // which tile happened to be read first.
  l.cell_x = kTileWidth / static_cast<double>(l.width);
  l.cell_y = -kRowHeight[0] / static_cast<double>(l.height[0]);
  const LonLatBox b = eog_tile_bounds(t);
  l.shift_x = std::round((r.gt[0] - b.west) / l.cell_x * 1e6) / 1e6;
  l.shift_y = std::round((r.gt[3] - b.north) / l.cell_y * 1e6) / 1e6;
  if (std::abs(l.shift_x) >= 1 || std::abs(l.shift_y) >= 1)
    throw UserError(path + ": " + describe_gt(r.gt, r.width, r.height) + " is not where tile " + t.name() +
                    " lies (its corner is " + exact_number_text(b.west) + ", " + exact_number_text(b.north) +
                    "); is the tile name in the file name right?");
  return l;
}

// A file exactly on its tile of the lattice, or a UserError saying what was expected.
void check_on_lattice(const TileRaster& r, TileId t, const Lattice& l, const std::string& path, const std::string& first) {
  const double ex = l.west(t), ey = l.north(t);
  const int64_t ew = l.width, eh = l.height[t.v];
  const bool ok = std::abs(r.gt[0] - ex) <= 1e-3 * l.cell_x && std::abs(r.gt[3] - ey) <= 1e-3 * -l.cell_y &&
                  std::abs(r.gt[1] / l.cell_x - 1) < 1e-6 && std::abs(r.gt[5] / l.cell_y - 1) < 1e-6 &&
                  r.width == ew && r.height == eh;
  if (ok) return;
  const double expected[6] = {ex, l.cell_x, 0, ey, 0, l.cell_y};
  throw UserError(path + ": " + describe_gt(r.gt, r.width, r.height) + " is not tile " + t.name() +
                  " of the release's lattice (" + describe_gt(expected, ew, eh) + ", from " + first +
                  "); tiles must fit the lattice exactly, so that none overlaps another");
}

// Blocks that divide every tile edge in the mosaic, so no block straddles two tiles: the
// tiles' own when they do, else the largest divisor (up to 512) of the tile edges.
std::pair<int64_t, int64_t> mosaic_block(const TileRaster& r, const Lattice& l, TileId lo, TileId hi) {
  int64_t g = l.width;
  bool own = r.block_x > 0 && r.block_y > 0 && l.width % r.block_x == 0;
  for (int v = lo.v; v <= hi.v; ++v) {
    g = std::gcd(g, l.height[v]);
    own = own && l.height[v] % r.block_y == 0;
  }
  if (own) return {r.block_x, r.block_y};
  int64_t b = std::min<int64_t>(g, 512);
  while (g % b) --b;
  return {b, b};
}

std::string source_xml(const std::string& path, int64_t width, int64_t height, int64_t x, int64_t y) {
  const std::string w = std::to_string(width), h = std::to_string(height);
  return "    <SimpleSource>\n      <SourceFilename relativeToVRT=\"0\">" + xml_escape(fs::absolute(path).string()) +
         "</SourceFilename>\n      <SourceBand>1</SourceBand>\n      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"" + w +
         "\" ySize=\"" + h + "\"/>\n      <DstRect xOff=\"" + std::to_string(x) + "\" yOff=\"" + std::to_string(y) +
         "\" xSize=\"" + w + "\" ySize=\"" + h + "\"/>\n    </SimpleSource>\n";
}

bool same_band(const TileRaster& a, const TileRaster& b) {
  const bool nodata_same = a.nodata.has_value() == b.nodata.has_value() &&
                           (!a.nodata || *a.nodata == *b.nodata || (std::isnan(*a.nodata) && std::isnan(*b.nodata)));
  return a.type == b.type && nodata_same && a.scale == b.scale && a.offset == b.offset;
}

int64_t row_offset(const Lattice& l, TileId lo, int v) {
  int64_t y = 0;
  for (int k = lo.v; k < v; ++k) y += l.height[k];
  return y;
}

// The VRT of one mosaic (radiance or quality) on the lattice rectangle lo..hi.
std::string mosaic_vrt(const Lattice& l, TileId lo, TileId hi, const TileRaster& first, bool quality,
                       std::pair<int64_t, int64_t> block, const std::string& sources) {
  std::string type = first.type, nodata;
  const bool floating = type == "Float32" || type == "Float64";
  if (first.nodata) nodata = std::isnan(*first.nodata) ? "nan" : exact_number_text(*first.nodata);
  else if (!quality && floating) nodata = "nan";        // a missing tile's cells: no data, never zeros
  else if (!quality) type = "Float64", nodata = "nan";  // integer tiles without nodata: room for NaN
  // (A quality mosaic's missing cells read 0, below any positive count: dropped.)
  std::ostringstream x;
  x << "<VRTDataset rasterXSize=\"" << (hi.h - lo.h + 1) * l.width << "\" rasterYSize=\""
    << row_offset(l, lo, hi.v + 1) << "\">\n"
    << "  <SRS dataAxisToSRSAxisMapping=\"2,1\">EPSG:4326</SRS>\n"
    << "  <GeoTransform>" << exact_number_text(l.west(lo)) << ", " << exact_number_text(l.cell_x) << ", 0, "
    << exact_number_text(l.north(lo)) << ", 0, " << exact_number_text(l.cell_y) << "</GeoTransform>\n"
    << "  <VRTRasterBand dataType=\"" << type << "\" band=\"1\" blockXSize=\"" << block.first
    << "\" blockYSize=\"" << block.second << "\">\n";
  if (!nodata.empty()) x << "    <NoDataValue>" << nodata << "</NoDataValue>\n";
  if (first.offset != 0 || first.scale != 1)
    x << "    <Offset>" << exact_number_text(first.offset) << "</Offset>\n    <Scale>" << exact_number_text(first.scale)
      << "</Scale>\n";
  x << sources << "  </VRTRasterBand>\n</VRTDataset>\n";
  return x.str();
}

// Adds one file of tile `t` to a mosaic: checked against the lattice and the first file's band.
void add_source(const std::string& path, TileId t, TileId lo, const Lattice& l, const TileRaster& r,
                const TileRaster& first, const std::string& first_path, std::string& sources,
                std::vector<MosaicPart>& parts) {
  check_on_lattice(r, t, l, path, first_path);
  if (!same_band(r, first))
    throw UserError(path + ": band type, nodata, scale or offset differ from " + first_path +
                    "; the tiles of one release must agree");
  const int64_t x = (t.h - lo.h) * l.width, y = row_offset(l, lo, t.v);
  sources += source_xml(path, l.width, l.height[t.v], x, y);
  parts.push_back({path, y, x, l.height[t.v], l.width});
}

}  // namespace

std::optional<TileId> parse_eog_tile(const std::string& text) {
  if (text.size() != 7) return std::nullopt;
  for (int v = 0; v < 2; ++v)
    for (int h = 0; h < 3; ++h)
      if (text.compare(0, 3, kRows[v]) == 0 && text.compare(3, 4, kColumns[h]) == 0) return TileId{h, v, TileLattice::eog};
  return std::nullopt;
}

std::string eog_tile_name(TileId t) { return std::string(kRows[t.v]) + kColumns[t.h]; }

LonLatBox eog_tile_bounds(TileId t) {
  const double west = -180 + kTileWidth * t.h, north = t.v == 0 ? 75 : 0;
  return {west, north - kRowHeight[t.v], west + kTileWidth, north};
}

std::vector<TileId> eog_tiles_meeting(double west, double south, double east, double north) {
  std::vector<TileId> out;
  for (int v = 0; v < 2; ++v)
    for (int h = 0; h < 3; ++h) {
      const TileId t{h, v, TileLattice::eog};
      const LonLatBox b = eog_tile_bounds(t);
      if (b.west < east && b.east > west && b.north > south && b.south < north) out.push_back(t);
    }
  return out;
}

void build_eog_mosaic(const std::vector<TileFile>& tiles, const std::vector<TileId>& needed,
                      double quality_min_count, const std::string& tag, TileMosaic& out) {
  configure_gdal();
  if (needed.empty()) throw UserError("release " + tag + ": the zones meet none of EOG's six tiles");
  TileId lo = needed.front(), hi = needed.front();
  for (const TileId& t : needed) {
    lo = {std::min(lo.h, t.h), std::min(lo.v, t.v), TileLattice::eog};
    hi = {std::max(hi.h, t.h), std::max(hi.v, t.v), TileLattice::eog};
  }
  auto inside = [&](TileId t) { return t.h >= lo.h && t.h <= hi.h && t.v >= lo.v && t.v <= hi.v; };
  // Sources in tile order: the mosaic is the same whatever order the files were listed in.
  std::vector<TileFile> sorted = tiles;
  std::sort(sorted.begin(), sorted.end(), [](const TileFile& a, const TileFile& b) { return a.tile < b.tile; });
  const bool with_quality = std::any_of(sorted.begin(), sorted.end(), [](const TileFile& f) { return !f.quality_path.empty(); });
  std::optional<Lattice> lattice;
  std::optional<TileRaster> first, first_quality;
  std::string first_path, first_quality_path, radiance, quality;
  std::vector<TileId> present;
  for (const TileFile& f : sorted) {
    if (!inside(f.tile)) continue;  // no zone needs it
    const TileRaster r = open_tile(f.path);
    if (!lattice) lattice = lattice_from(r, f.tile, f.path), first = r, first_path = f.path;
    add_source(f.path, f.tile, lo, *lattice, r, *first, first_path, radiance, out.radiance_parts);
    if (with_quality) {
      if (f.quality_path.empty() || !fs::exists(f.quality_path))
        throw UserError((f.quality_path.empty() ? f.path : f.quality_path) + ": quality raster of tile " +
                        f.tile.name() + " not found");
      const TileRaster q = open_tile(f.quality_path);
      if (!first_quality) first_quality = q, first_quality_path = f.quality_path;
      add_source(f.quality_path, f.tile, lo, *lattice, q, *first_quality, first_quality_path, quality, out.quality_parts);
    }
    present.push_back(f.tile);
  }
  for (const TileId& t : needed)
    if (std::find(present.begin(), present.end(), t) == present.end()) out.missing.push_back(t);
  out.needed = needed.size();
  if (!first)
    throw UserError("release " + tag + ": none of the " + std::to_string(needed.size()) + " tiles the zones need is present");
  const auto block = mosaic_block(*first, *lattice, lo, hi);
  out.radiance_vrt = "/vsimem/nightlights-eog-" + tag + ".vrt";
  write_vsimem(out.radiance_vrt, mosaic_vrt(*lattice, lo, hi, *first, false, block, radiance));
  if (with_quality) {
    out.quality_vrt = "/vsimem/nightlights-eog-" + tag + "-quality.vrt";
    out.quality_min_count = quality_min_count;
    write_vsimem(out.quality_vrt, mosaic_vrt(*lattice, lo, hi, *first_quality, true, block, quality));
  }
}

}  // namespace nl
