// The limits and places the engine works within: the coverage index's memory budget and
// scratch folder, and the coverage cache's size limit. The app layer sets them once per process
// from the command line and the environment (app/run_environment); the engine reads no
// environment variable itself. Process-wide, as GDAL's configuration options are.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nl {

struct EngineLimits {
  size_t index_memory_bytes = size_t{128} << 20;             // coverage runs held in memory
  std::string scratch_dir = "/tmp";                          // the index's overflow files
  uint64_t cache_max_bytes = uint64_t{4096} * 1000 * 1000;   // the coverage cache folder
  size_t band_batch_memory_bytes = size_t{64} << 20;         // a cube's bands measured in one pass
};

const EngineLimits& engine_limits();
void set_engine_limits(const EngineLimits& limits);

}  // namespace nl
