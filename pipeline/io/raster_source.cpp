// Inspecting a raster band and reading windows in its own type (ReadBlock when aligned).
#include "pipeline/io/raster_source.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"

namespace nl {

namespace {

// An integer band holds only whole values in its range: any other nodata matches no pixel.
std::optional<double> whole_in(double v, double lo, double hi) {
  if (v < lo || v > hi || v != std::floor(v)) return std::nullopt;
  return v;
}

std::optional<double> nodata_in_type(GDALDataType type, double v) {
  if (std::isnan(v)) return v;
  switch (type) {
    case GDT_Float32: {
      // A Float32 band's pixels are floats: -3.4e38 written as text is not the float -3.4e38.
      if (std::abs(v) > std::numeric_limits<float>::max()) return std::nullopt;
      return static_cast<double>(static_cast<float>(v));
    }
    case GDT_Byte: return whole_in(v, 0, 255);
    case GDT_UInt16: return whole_in(v, 0, 65535);
    case GDT_Int16: return whole_in(v, -32768, 32767);
    case GDT_UInt32: return whole_in(v, 0, 4294967295.0);
    case GDT_Int32: return whole_in(v, -2147483648.0, 2147483647.0);
    default: return v;
  }
}

bool is_equal_area(const OGRSpatialReference& srs) {
  const char* method = srs.GetAttrValue("PROJECTION");
  if (!method) return false;
  static const char* kEqualArea[] = {"Albers_Conic_Equal_Area", "Lambert_Azimuthal_Equal_Area",
                                     "Cylindrical_Equal_Area", "Mollweide", "Sinusoidal",
                                     "Eckert_IV", "Eckert_VI", "Goode_Homolosine",
                                     "Equal_Earth"};
  for (const char* m : kEqualArea)
    if (std::strcmp(method, m) == 0) return true;
  return false;
}

}  // namespace

std::optional<double> nodata_in_raster_type(const RasterInfo& raster, double value) {
  auto v = nodata_in_type(GDALGetDataTypeByName(raster.data_type.c_str()), value);
  if (!v) log_warning(raster.path + ": nodata " + std::to_string(value) + " is outside the range of " +
                      raster.data_type + "; no pixel can hold it, so it is ignored");
  return v;
}

std::string crs_wkt_from_user(const std::string& text) {
  OGRSpatialReference srs;
  if (srs.SetFromUserInput(text.c_str()) != OGRERR_NONE)
    throw UserError("cannot understand the CRS '" + text + "' (use e.g. EPSG:4326)");
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  std::string out = wkt ? wkt : "";
  CPLFree(wkt);
  return out;
}

RasterInfo inspect_raster(const std::string& path, int band_index, const std::string& assume_crs) {
  configure_gdal();
  clear_gdal_error();
  RasterInfo info;
  info.path = path;
  info.band = band_index;
  VSIStatBufL st;
  const bool is_plain_file = path.find(':') == std::string::npos && path.rfind("/vsi", 0) != 0;
  if (is_plain_file && VSIStatL(path.c_str(), &st) != 0)
    throw UserError(path + ": raster file not found (check the path)");
  std::unique_ptr<GDALDataset> ds(
      GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR));
  if (!ds) {
    const std::string why = last_gdal_error();
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0)
      throw UserError(path + ": gzip-compressed raster; decompress it first (gunzip -k " + path +
                      "): reading through /vsigzip/ is very slow (give /vsigzip/" + path + " to do so anyway)");
    throw UserError(path + ": cannot open as a raster" + (why.empty() ? "" : " (" + why + ")") +
                    " — give a GeoTIFF, VRT or another GDAL raster");
  }
  if (ds->GetRasterCount() < 1) throw UserError(path + ": has no raster bands");
  if (band_index < 1 || band_index > ds->GetRasterCount())
    throw UserError(path + ": band " + std::to_string(band_index) + " out of range (the raster has " +
                    std::to_string(ds->GetRasterCount()) + " band(s))");
  GDALRasterBand* band = ds->GetRasterBand(band_index);
  double gt[6];
  if (ds->GetGeoTransform(gt) != CE_None)
    throw UserError(path + ": has no geotransform (georeferencing); cannot place polygons on it");
  if (gt[2] != 0 || gt[4] != 0)
    throw UserError(path + ": rotated geotransform not supported; warp it north-up first (gdalwarp)");
  info.grid = {gt[0], gt[3], gt[1], gt[5], ds->GetRasterXSize(), ds->GetRasterYSize()};
  // The global 15″ grid is 86,401 × 33,601; a header claiming far more is damaged, and would
  // make every per-window table huge.
  constexpr int64_t kMaxSide = 10'000'000, kMaxCells = 100'000'000'000;
  if (info.grid.width > kMaxSide || info.grid.height > kMaxSide ||
      info.grid.width * info.grid.height > kMaxCells)
    throw UserError(path + ": claims " + std::to_string(info.grid.width) + " x " + std::to_string(info.grid.height) +
                    " cells, more than any night-light product; the header is damaged or this is not the intended file");
  if (!(std::isfinite(gt[0]) && std::isfinite(gt[3]) && gt[1] > 0 && std::isfinite(gt[1]) && std::isfinite(gt[5])))
    throw UserError(path + ": geotransform is not usable (origin or cell size not finite, or cell width <= 0)");
  if (info.grid.cell_height > 0)
    throw UserError(path + ": south-up raster (positive pixel height) not supported; warp it north-up first");
  int bw = 0, bh = 0;
  band->GetBlockSize(&bw, &bh);
  info.block_width = bw;
  info.block_height = bh;
  if (GDALDataTypeIsComplex(band->GetRasterDataType()))
    throw UserError(path + ": band " + std::to_string(band_index) + " holds complex numbers (" +
                    GDALGetDataTypeName(band->GetRasterDataType()) + "); night-light radiance is real-valued");
  info.data_type = GDALGetDataTypeName(band->GetRasterDataType());
  // The band's own nodata goes through the same range check as a user's --nodata.
  if (int has_nodata = 0; (void)band->GetNoDataValue(&has_nodata), has_nodata)
    info.nodata = nodata_in_raster_type(info, band->GetNoDataValue());
  int has = 0;
  const double scale = band->GetScale(&has);
  if (has) info.scale = scale;
  const double offset = band->GetOffset(&has);
  if (has) info.offset = offset;

  const OGRSpatialReference* srs = ds->GetSpatialRef();
  OGRSpatialReference resolved;
  if (srs && !srs->IsEmpty()) {
    resolved = *srs;
  } else if (!assume_crs.empty()) {
    resolved.importFromWkt(crs_wkt_from_user(assume_crs).c_str());
    info.crs_assumed = true;
  } else {
    throw UserError(path + ": raster has no CRS; pass --assume-crs EPSG:4326 (or the right one) if you know it");
  }
  char* wkt = nullptr;
  resolved.exportToWkt(&wkt);
  info.crs_wkt = wkt ? wkt : "";
  CPLFree(wkt);
  info.geographic = resolved.IsGeographic();
  info.equal_area = !info.geographic && is_equal_area(resolved);
  info.linear_unit_m = info.geographic ? 1.0 : resolved.GetLinearUnits();
  return info;
}

RasterReader::RasterReader(const RasterInfo& info) : info_(info) {
  configure_gdal();
  dataset_ = GDALDataset::Open(info.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
  if (!dataset_) throw UserError(info.path + ": cannot open as a raster (" + last_gdal_error() + ")");
  band_ = dataset_->GetRasterBand(info.band);
  type_ = band_->GetRasterDataType();
  type_size_ = GDALGetDataTypeSizeBytes(static_cast<GDALDataType>(type_));
  // A nodata mask is the nodata comparison the preprocessor makes anyway; an alpha band, a
  // per-dataset mask (.msk, internal TIFF mask) or an explicit band mask is GDAL's word on
  // validity and has to be read.
  const int flags = band_->GetMaskFlags();
  if (!(flags & (GMF_ALL_VALID | GMF_NODATA))) mask_band_ = band_->GetMaskBand();
}

RasterReader::~RasterReader() {
  if (dataset_) GDALClose(dataset_);
}

void RasterReader::read(const Window& w, bool through_cache) {
  window_ = w;
  const auto cells = static_cast<size_t>(w.cells());
  native_.resize(cells * static_cast<size_t>(type_size_));
  if (mask_band_) mask_.resize(cells);
  if (!through_cache && !mask_band_ && block_aligned(w)) return read_blocks(w);
  CPLErrorReset();
  // In the band's own type: GDAL fills the cells a VRT or mosaic has no source for with the
  // nodata value converted to the *requested* type, so a Float64 read of a Float32 band gives
  // the unrounded -3.4e38 where the band's pixels hold float(-3.4e38), and the nodata
  // comparison would miss them.
  auto io = [&](GDALRasterBand* band, void* buffer, GDALDataType type) {
    return band->RasterIO(GF_Read, static_cast<int>(w.col0), static_cast<int>(w.row0), static_cast<int>(w.cols),
                          static_cast<int>(w.rows), buffer, static_cast<int>(w.cols), static_cast<int>(w.rows),
                          type, 0, 0, nullptr);
  };
  CPLErr err = io(band_, native_.data(), static_cast<GDALDataType>(type_));
  if (err == CE_None && mask_band_) err = io(mask_band_, mask_.data(), GDT_Byte);
  if (err != CE_None || CPLGetLastErrorType() == CE_Failure) throw read_error(first_unreadable_block(w), last_gdal_error());
}

bool RasterReader::block_aligned(const Window& w) const {
  const int64_t bw = info_.block_width, bh = info_.block_height;
  if (bw <= 0 || bh <= 0) return false;
  const int64_t col_end = w.col0 + w.cols, row_end = w.row0 + w.rows;
  return w.col0 % bw == 0 && w.row0 % bh == 0 && (col_end % bw == 0 || col_end == info_.grid.width) &&
         (row_end % bh == 0 || row_end == info_.grid.height);
}

// Each block decoded once with ReadBlock, straight from the driver into the window (or through
// one block of scratch for a block on the raster's edge): no copy through GDAL's block cache,
// which a window read once never hits again.
void RasterReader::read_blocks(const Window& w) {
  const int64_t bw = info_.block_width, bh = info_.block_height;
  const auto tsize = static_cast<size_t>(type_size_);
  for (int64_t r = w.row0; r < w.row0 + w.rows; r += bh)
    for (int64_t c = w.col0; c < w.col0 + w.cols; c += bw) {
      const int64_t rows = std::min(bh, info_.grid.height - r), cols = std::min(bw, info_.grid.width - c);
      unsigned char* at = native_.data() + static_cast<size_t>((r - w.row0) * w.cols + (c - w.col0)) * tsize;
      // A whole block as wide as the window lands in place; any other goes through scratch.
      const bool direct = cols == bw && rows == bh && w.cols == bw;
      if (!direct) block_.resize(static_cast<size_t>(bw * bh) * tsize);
      CPLErrorReset();
      const CPLErr err = band_->ReadBlock(static_cast<int>(c / bw), static_cast<int>(r / bh), direct ? at : block_.data());
      if (err != CE_None || CPLGetLastErrorType() == CE_Failure) throw read_error(Window{r, c, rows, cols}, last_gdal_error());
      if (direct) continue;
      for (int64_t i = 0; i < rows; ++i)
        std::memcpy(at + static_cast<size_t>(i * w.cols) * tsize, block_.data() + static_cast<size_t>(i * bw) * tsize,
                    static_cast<size_t>(cols) * tsize);
    }
}

UserError RasterReader::read_error(const Window& block, const std::string& why) const {
  // In a mosaic the file to re-download is the tile holding the block (blocks never straddle two).
  for (const MosaicPart& p : info_.parts)
    if (block.row0 >= p.row0 && block.row0 < p.row0 + p.rows && block.col0 >= p.col0 && block.col0 < p.col0 + p.cols)
      return UserError(p.path + ": read error in the block at row " + std::to_string(block.row0 - p.row0) +
                       ", column " + std::to_string(block.col0 - p.col0) + " of this tile (" +
                       std::to_string(block.cols) + "x" + std::to_string(block.rows) + " cells): " + why +
                       " — the file is damaged or truncated; re-download or re-create it");
  return UserError(info_.path + ": read error in the block at row " + std::to_string(block.row0) + ", column " +
                   std::to_string(block.col0) + " (" + std::to_string(block.cols) + "x" + std::to_string(block.rows) +
                   " cells): " + why + " — the file is damaged or truncated; re-download or re-create it");
}

// A window holds several blocks: the one to name is found by reading them one at a time (the
// window itself when every block reads alone, e.g. a transient error).
Window RasterReader::first_unreadable_block(const Window& w) {
  const int64_t bw = std::max<int64_t>(1, info_.block_width), bh = std::max<int64_t>(1, info_.block_height);
  std::vector<unsigned char> one(static_cast<size_t>(bw * bh) * static_cast<size_t>(type_size_));
  for (int64_t r = w.row0 / bh * bh; r < w.row0 + w.rows; r += bh)
    for (int64_t c = w.col0 / bw * bw; c < w.col0 + w.cols; c += bw) {
      const Window b{r, c, std::min(bh, info_.grid.height - r), std::min(bw, info_.grid.width - c)};
      CPLErrorReset();
      const CPLErr err = band_->RasterIO(GF_Read, static_cast<int>(b.col0), static_cast<int>(b.row0),
                                         static_cast<int>(b.cols), static_cast<int>(b.rows), one.data(),
                                         static_cast<int>(b.cols), static_cast<int>(b.rows),
                                         static_cast<GDALDataType>(type_), 0, 0, nullptr);
      if (err != CE_None || CPLGetLastErrorType() == CE_Failure) return b;
    }
  return w;
}

void RasterReader::copy_to(const Window& part, xt::xtensor<double, 2>& out) const {
  const std::array<size_t, 2> shape{static_cast<size_t>(part.rows), static_cast<size_t>(part.cols)};
  if (out.shape()[0] != shape[0] || out.shape()[1] != shape[1]) out.resize(shape);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t r = 0; r < part.rows; ++r) {
    const size_t from = static_cast<size_t>((part.row0 - window_.row0 + r) * window_.cols + (part.col0 - window_.col0));
    double* row = out.data() + static_cast<size_t>(r * part.cols);
    GDALCopyWords64(native_.data() + from * static_cast<size_t>(type_size_), static_cast<GDALDataType>(type_),
                    type_size_, row, GDT_Float64, sizeof(double), part.cols);
    if (mask_band_)
      for (int64_t c = 0; c < part.cols; ++c)
        if (mask_[from + static_cast<size_t>(c)] == 0) row[c] = nan;
  }
}

}  // namespace nl
