// `decode-floor`: ReadBlock on N threads (the floor) beside the block-cache read.
#include "pipeline/app/decode_floor.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/raster_source.hpp"

namespace nl {

DecodeFloorResult decode_floor(const std::string& path, int band, int threads, bool through_cache) {
  const auto t0 = std::chrono::steady_clock::now();
  const RasterInfo info = inspect_raster(path, band, "EPSG:4326");
  const WindowLayout layout = block_aligned_layout(info.grid.width, info.grid.height, info.block_width, info.block_height);
  const int64_t n = layout.count();
  DecodeFloorResult result;
  std::exception_ptr failure;
  std::mutex mutex;
  double checksum = 0;
#pragma omp parallel num_threads(threads > 0 ? threads : omp_get_max_threads()) reduction(+ : checksum)
  {
    std::unique_ptr<RasterReader> reader;
    xt::xtensor<double, 2> values;
    try {
      reader = std::make_unique<RasterReader>(info);
    } catch (...) {
      std::lock_guard lock(mutex);
      failure = std::current_exception();
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t w = 0; w < n; ++w) {
      if (!reader) continue;
      try {
        const Window window = layout.window(w);
        reader->read(window, through_cache);
        reader->copy_to(window, values);
        checksum += values.data()[0];
      } catch (...) {
        std::lock_guard lock(mutex);
        failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  result.checksum = checksum;
  result.cells = info.grid.width * info.grid.height;
  result.windows = n;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace nl
