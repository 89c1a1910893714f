// `nightlights decode-floor`: reads every block of a raster band with N threads (one dataset
// handle each) and does nothing else — the floor against which the zonal engine is benchmarked.
#pragma once
#include <string>

namespace nl {

struct DecodeFloorResult {
  double seconds = 0;
  long long cells = 0;
  long long windows = 0;
  double checksum = 0;  // keeps the reads from being optimised away
};

DecodeFloorResult decode_floor(const std::string& raster, int band, int threads);

}  // namespace nl
