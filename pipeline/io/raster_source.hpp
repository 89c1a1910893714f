// Opening a raster band with GDAL, describing its grid, and reading block-aligned windows into
// xtensor arrays (one RasterReader, i.e. one dataset handle, per thread).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "kernels/grid.hpp"

class GDALDataset;
class GDALRasterBand;

namespace nl {

class UserError;

// Where one input file's cells sit in a mosaic (a tiled release's VRT), so that a read error
// names the file that failed, not the in-memory VRT.
struct MosaicPart {
  std::string path;
  int64_t row0 = 0, col0 = 0, rows = 0, cols = 0;
};

struct RasterInfo {
  std::string path;     // as given to GDAL (may be a subdataset name)
  int band = 1;
  GridGeometry grid;
  int64_t block_width = 0, block_height = 0;
  std::string data_type;  // GDAL's name, e.g. Float32
  std::string crs_wkt;    // empty when the raster has none and no --assume-crs was given
  bool crs_assumed = false;
  bool geographic = false;  // lon/lat degrees
  bool equal_area = false;  // projected with an equal-area method
  double linear_unit_m = 1.0;
  std::optional<double> nodata;  // rounded to the band's type, so it compares equal to pixels
  double scale = 1.0, offset = 0.0;
  std::vector<MosaicPart> parts;  // a mosaic's files, for read errors; empty for one file
};

// Throws UserError naming the file when it cannot be opened, is not a raster, the band does not
// exist, the geotransform is rotated, or it has no CRS and `assume_crs` is empty.
RasterInfo inspect_raster(const std::string& path, int band, const std::string& assume_crs);

class RasterReader {
 public:
  explicit RasterReader(const RasterInfo& info);
  ~RasterReader();
  RasterReader(const RasterReader&) = delete;
  RasterReader& operator=(const RasterReader&) = delete;

  // Decodes `window` in the band's own type (and its mask, where GDAL's mask is more than the
  // nodata value): block by block with ReadBlock when the window is made of whole blocks (no
  // copy through GDAL's block cache), else through RasterIO; `through_cache` forces RasterIO
  // (the benchmark's second floor). Throws UserError naming the file and the block on any read
  // error.
  void read(const Window& window, bool through_cache = false);
  // Raw values (no scale/offset) of `part`, a rectangle inside the window last read, into
  // `out` (resized); cells GDAL's mask marks invalid are NaN.
  void copy_to(const Window& part, xt::xtensor<double, 2>& out) const;
  // Both at once, for a whole window.
  void read(const Window& window, xt::xtensor<double, 2>& out) {
    read(window);
    copy_to(window, out);
  }

 private:
  bool block_aligned(const Window& w) const;
  void read_blocks(const Window& w);
  Window first_unreadable_block(const Window& w);
  UserError read_error(const Window& block, const std::string& why) const;

  const RasterInfo& info_;
  GDALDataset* dataset_ = nullptr;
  GDALRasterBand* band_ = nullptr;
  GDALRasterBand* mask_band_ = nullptr;  // only where the mask is not just the nodata value
  int type_ = 0;                         // GDALDataType of the band
  int type_size_ = 0;
  Window window_;
  std::vector<unsigned char> native_, mask_, block_;
};

// A user's nodata value as the band's pixels hold it (a Float32 band compares in float).
std::optional<double> nodata_in_raster_type(const RasterInfo& raster, double value);

// A WKT for a user's CRS string ("EPSG:4326", WKT, PROJ string); throws UserError.
std::string crs_wkt_from_user(const std::string& text);

}  // namespace nl
