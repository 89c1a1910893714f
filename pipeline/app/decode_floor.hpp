// `nightlights decode-floor`: decodes every block of a raster band once with N threads (one
// dataset handle each) and does nothing else — the floor against which the zonal engine is
// benchmarked. The floor is ReadBlock per block (no block cache), as the engine reads;
// `through_cache` reads the same windows through RasterIO and GDAL's block cache instead.
#pragma once
#include <string>

namespace nl {

struct DecodeFloorResult {
  double seconds = 0;
  long long cells = 0;
  long long windows = 0;
  double checksum = 0;  // keeps the reads from being optimised away
};

DecodeFloorResult decode_floor(const std::string& raster, int band, int threads, bool through_cache = false);

}  // namespace nl
