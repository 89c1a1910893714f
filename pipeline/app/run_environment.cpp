// Reading the environment once (see run_environment.hpp).
#include "pipeline/app/run_environment.hpp"

#include <malloc.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace {

const char* variable(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// A size in megabytes (decimals allowed) or the default.
double megabytes(const char* name, double fallback) {
  const char* text = variable(name);
  if (!text) return fallback;
  char* end = nullptr;
  const double mb = std::strtod(text, &end);
  if (*end != '\0' || !(mb >= 0) || mb > 1e12)
    throw UserError(std::string(name) + "='" + text + "' is not a size in megabytes (e.g. 4096)");
  return mb;
}

}  // namespace

RunEnvironment read_run_environment() {
  RunEnvironment env;
  // The index budget is in MiB (2^20 bytes), the cache limit in decimal MB, as each has been
  // documented since it was introduced.
  env.limits.index_memory_bytes = static_cast<size_t>(megabytes("NIGHTLIGHTS_INDEX_MEMORY_MB", 128)) << 20;
  env.limits.band_batch_memory_bytes = static_cast<size_t>(megabytes("NIGHTLIGHTS_BAND_BATCH_MB", 64)) << 20;
  if (const char* tmp = variable("TMPDIR")) env.limits.scratch_dir = tmp;
  env.limits.cache_max_bytes = static_cast<uint64_t>(std::llround(megabytes("NIGHTLIGHTS_CACHE_MAX_MB", 4096) * 1e6));
  env.timing = variable("NIGHTLIGHTS_TIMING") != nullptr;
  return env;
}

void apply_run_environment() {
  const RunEnvironment env = read_run_environment();
  set_engine_limits(env.limits);
  set_timing(env.timing);
}

void keep_freed_memory() {
  const char* tunables = variable("GLIBC_TUNABLES");
  if ((tunables && std::strstr(tunables, "malloc.")) || variable("MALLOC_TRIM_THRESHOLD_") ||
      variable("MALLOC_MMAP_THRESHOLD_") || variable("MALLOC_TOP_PAD_"))
    return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

std::string default_cache_directory() {
  if (const char* d = variable("NIGHTLIGHTS_CACHE_DIR")) return d;
  if (const char* x = variable("XDG_CACHE_HOME")) return std::string(x) + "/nightlights";
  if (const char* h = variable("HOME")) return std::string(h) + "/.cache/nightlights";
  return "";
}

}  // namespace nl
