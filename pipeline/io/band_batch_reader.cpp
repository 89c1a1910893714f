// A batch of one file's bands read window by window with one dataset handle (see
// band_batch_reader.hpp).
#include "pipeline/io/band_batch_reader.hpp"

#include <gdal_priv.h>

#include <limits>

#include "pipeline/io/datacube.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"

namespace nl {

BandBatchReader::BandBatchReader(const std::vector<RasterInfo>& bands) : info_(bands) {
  if (bands.empty()) throw std::logic_error("BandBatchReader: no bands");
  configure_gdal();
  const std::string& path = bands.front().path;
  dataset_ = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
  if (!dataset_) throw UserError(path + ": cannot open as a raster (" + last_gdal_error() + ")");
  for (const RasterInfo& info : bands) {
    if (info.path != path) throw std::logic_error("BandBatchReader: bands of different files");
    if (info.band < 1 || info.band > dataset_->GetRasterCount())
      throw UserError(path + ": band " + std::to_string(info.band) + " out of range");
    Band b;
    b.band = dataset_->GetRasterBand(info.band);
    b.type = b.band->GetRasterDataType();
    b.type_size = GDALGetDataTypeSizeBytes(static_cast<GDALDataType>(b.type));
    // As RasterReader: a nodata mask is the comparison the preprocessor makes anyway; any
    // other mask is GDAL's word on validity and is read.
    const int flags = b.band->GetMaskFlags();
    if (!(flags & (GMF_ALL_VALID | GMF_NODATA))) b.mask = b.band->GetMaskBand();
    one_type_ = one_type_ && b.type == (bands_.empty() ? b.type : bands_.front().type);
    bands_.push_back(b);
  }
}

BandBatchReader::~BandBatchReader() {
  if (dataset_) GDALClose(dataset_);
}

void BandBatchReader::read(const Window& w) {
  window_ = w;
  const auto cells = static_cast<size_t>(w.cells());
  size_t bytes = 0;
  for (Band& b : bands_) {
    b.offset = bytes;
    bytes += cells * static_cast<size_t>(b.type_size);
  }
  native_.resize(bytes);
  CPLErrorReset();
  if (one_type_) {
    // One call for the whole batch, band after band in the buffer, each in the bands' own type
    // (as RasterReader, so a nodata value compares equal to the pixels holding it).
    std::vector<int> band_map;
    for (const RasterInfo& info : info_) band_map.push_back(info.band);
    const auto tsize = static_cast<GSpacing>(bands_.front().type_size);
    const CPLErr err = dataset_->RasterIO(
        GF_Read, static_cast<int>(w.col0), static_cast<int>(w.row0), static_cast<int>(w.cols), static_cast<int>(w.rows),
        native_.data(), static_cast<int>(w.cols), static_cast<int>(w.rows), static_cast<GDALDataType>(bands_.front().type),
        static_cast<int>(band_map.size()), band_map.data(), tsize, tsize * w.cols, tsize * static_cast<GSpacing>(cells),
        nullptr);
    if (err != CE_None || CPLGetLastErrorType() == CE_Failure) read_each(w);  // finds the band and block to name
  } else {
    read_each(w);
  }
  for (size_t k = 0; k < bands_.size(); ++k) {
    const Band& b = bands_[k];
    if (!b.mask) continue;
    mask_.resize(cells * bands_.size());
    const CPLErr m = b.mask->RasterIO(GF_Read, static_cast<int>(w.col0), static_cast<int>(w.row0),
                                      static_cast<int>(w.cols), static_cast<int>(w.rows), mask_.data() + k * cells,
                                      static_cast<int>(w.cols), static_cast<int>(w.rows), GDT_Byte, 0, 0, nullptr);
    if (m != CE_None || CPLGetLastErrorType() == CE_Failure)
      throw UserError(band_input_name(info_[k].path, info_[k].band) + ": read error in the mask of the window at row " +
                      std::to_string(w.row0) + ", column " + std::to_string(w.col0) + ": " + last_gdal_error());
  }
}

// Band by band, block by block: the reads of bands of different types, and the search for the
// band and block to name when the batch's read failed.
void BandBatchReader::read_each(const Window& w) {
  for (size_t k = 0; k < bands_.size(); ++k) {
    const Band& b = bands_[k];
    const RasterInfo& info = info_[k];
    const int64_t bw = std::max<int64_t>(1, info.block_width), bh = std::max<int64_t>(1, info.block_height);
    for (int64_t r = w.row0 / bh * bh; r < w.row0 + w.rows; r += bh)
      for (int64_t c = w.col0 / bw * bw; c < w.col0 + w.cols; c += bw) {
        // The block's part inside the window, straight into the band's place in the buffer.
        const int64_t r0 = std::max(r, w.row0), c0 = std::max(c, w.col0);
        const int64_t r1 = std::min({r + bh, w.row0 + w.rows, info.grid.height});
        const int64_t c1 = std::min({c + bw, w.col0 + w.cols, info.grid.width});
        const auto tsize = static_cast<GSpacing>(b.type_size);
        unsigned char* at = native_.data() + b.offset + static_cast<size_t>((r0 - w.row0) * w.cols + (c0 - w.col0)) * static_cast<size_t>(b.type_size);
        CPLErrorReset();
        const CPLErr err = b.band->RasterIO(GF_Read, static_cast<int>(c0), static_cast<int>(r0), static_cast<int>(c1 - c0),
                                            static_cast<int>(r1 - r0), at, static_cast<int>(c1 - c0),
                                            static_cast<int>(r1 - r0), static_cast<GDALDataType>(b.type), tsize,
                                            tsize * w.cols, nullptr);
        if (err != CE_None || CPLGetLastErrorType() == CE_Failure)
          throw read_error(info, Window{r, c, std::min(bh, info.grid.height - r), std::min(bw, info.grid.width - c)},
                           last_gdal_error());
      }
  }
}

// "FILE#band=N: read error in the block at row R, column C (W x H cells): GDAL's reason — …".
UserError BandBatchReader::read_error(const RasterInfo& band, const Window& block, const std::string& why) const {
  return UserError(band_input_name(band.path, band.band) + ": read error in the block at row " +
                   std::to_string(block.row0) + ", column " + std::to_string(block.col0) + " (" +
                   std::to_string(block.cols) + "x" + std::to_string(block.rows) + " cells): " + why +
                   " — the file is damaged or truncated; re-download or re-create it");
}

void BandBatchReader::copy_to(size_t k, const Window& part, xt::xtensor<double, 2>& out) const {
  const Band& b = bands_[k];
  const std::array<size_t, 2> shape{static_cast<size_t>(part.rows), static_cast<size_t>(part.cols)};
  if (out.shape()[0] != shape[0] || out.shape()[1] != shape[1]) out.resize(shape);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const auto cells = static_cast<size_t>(window_.cells());
  for (int64_t r = 0; r < part.rows; ++r) {
    const size_t from = static_cast<size_t>((part.row0 - window_.row0 + r) * window_.cols + (part.col0 - window_.col0));
    double* row = out.data() + static_cast<size_t>(r * part.cols);
    GDALCopyWords64(native_.data() + b.offset + from * static_cast<size_t>(b.type_size), static_cast<GDALDataType>(b.type),
                    b.type_size, row, GDT_Float64, sizeof(double), part.cols);
    if (b.mask)
      for (int64_t c = 0; c < part.cols; ++c)
        if (mask_[k * cells + from + static_cast<size_t>(c)] == 0) row[c] = nan;
  }
}

}  // namespace nl
