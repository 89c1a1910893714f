// Reading a batch of bands of one file window by window with one dataset handle: each window is
// decoded once for all the batch's bands (one GDALDataset::RasterIO over them), so a datacube
// whose bands are releases is read once per window per batch, not once per band.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "kernels/grid.hpp"
#include "pipeline/io/raster_source.hpp"

class GDALDataset;
class GDALRasterBand;

namespace nl {

class BandBatchReader {
 public:
  // `bands`: the batch's bands, all of one file (their RasterInfo's path) on one grid.
  explicit BandBatchReader(const std::vector<RasterInfo>& bands);
  ~BandBatchReader();
  BandBatchReader(const BandBatchReader&) = delete;
  BandBatchReader& operator=(const BandBatchReader&) = delete;

  // Decodes `window` of every band of the batch in each band's own type (and the masks GDAL
  // keeps beyond the nodata value). Throws UserError naming the file, the band and the block on
  // any read error.
  void read(const Window& window);
  // Raw values (no scale/offset) of band `k` of the batch in `part`, a rectangle inside the
  // window last read, into `out` (resized); cells GDAL's mask marks invalid are NaN.
  void copy_to(size_t k, const Window& part, xt::xtensor<double, 2>& out) const;
  size_t size() const { return bands_.size(); }

 private:
  struct Band {
    GDALRasterBand* band = nullptr;
    GDALRasterBand* mask = nullptr;  // only where the mask is not just the nodata value
    int type = 0, type_size = 0;
    size_t offset = 0;  // of its window in native_
  };
  void read_each(const Window& w);
  UserError read_error(const RasterInfo& band, const Window& block, const std::string& why) const;

  const std::vector<RasterInfo>& info_;
  GDALDataset* dataset_ = nullptr;
  std::vector<Band> bands_;
  bool one_type_ = true;  // every band of the batch in one type: one dataset RasterIO reads them all
  Window window_;
  std::vector<unsigned char> native_, mask_;
};

}  // namespace nl
