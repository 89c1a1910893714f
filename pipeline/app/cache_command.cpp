// `nightlights cache list|clear` on stdout: one line per entry and a total line.
#include "pipeline/app/cache_command.hpp"

#include <cstdio>
#include <ctime>

#include "pipeline/engine/coverage_cache.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace {

std::string utc_minute(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

double mb(uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }

}  // namespace

int run_cache_command(const std::string& action, const std::string& directory) {
  if (directory.empty()) throw UserError("no cache folder: set --cache-dir, NIGHTLIGHTS_CACHE_DIR or HOME");
  if (action == "clear") {
    uint64_t bytes = 0;
    const auto removed = clear_cache(directory);
    for (const auto& e : removed) bytes += e.bytes;
    std::printf("removed %zu entries (%.1f MB) from %s\n", removed.size(), mb(bytes), directory.c_str());
    return 0;
  }
  const auto entries = list_cache(directory);
  uint64_t total = 0;
  for (const auto& e : entries) {
    total += e.bytes;
    std::printf("%s  %.1f MB  last used %s  %s\n", e.path.c_str(), mb(e.bytes), utc_minute(e.last_used).c_str(),
                e.description.c_str());
  }
  std::printf("%zu entries, %.1f MB in %s (limit %.1f MB, NIGHTLIGHTS_CACHE_MAX_MB; least recently used first)\n",
              entries.size(), mb(total), directory.c_str(), mb(cache_max_bytes()));
  return 0;
}

}  // namespace nl
