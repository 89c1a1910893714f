// The process's environment, read once here and nowhere else: the engine's limits
// (NIGHTLIGHTS_INDEX_MEMORY_MB, NIGHTLIGHTS_BAND_BATCH_MB, TMPDIR, NIGHTLIGHTS_CACHE_MAX_MB), stage timings
// (NIGHTLIGHTS_TIMING) and the default cache folder (NIGHTLIGHTS_CACHE_DIR, XDG_CACHE_HOME,
// HOME). Library calls take these as values. What an MPI launcher set is read, for the launcher
// and the program alike, in launcher_environment.hpp.
#pragma once
#include <string>

#include "pipeline/engine/engine_limits.hpp"

namespace nl {

struct RunEnvironment {
  EngineLimits limits;
  bool timing = false;
};

// Reads the variables; throws UserError on a malformed size (e.g. NIGHTLIGHTS_CACHE_MAX_MB=lots).
RunEnvironment read_run_environment();
// Reads them and applies them to this process (set_engine_limits, set_timing): called once by
// the command line before any command runs.
void apply_run_environment();

// The process keeps memory it frees, up to a bound, instead of handing it back at once: glibc's
// defaults unmap each freed block above ~128 KiB (or trim the heap's top), so a cold run paid
// again for the same pages — a munmap is a TLB shootdown on every thread, a refault ~15 µs in a
// VM (cold China run: system time 0.48 -> 0.36 s, ~2,200 fewer faults, +6 MiB peak RSS; the
// global run's cold peak grows more, 289 -> 326 MiB). Blocks up to 32 MiB come from the heap,
// and up to 64 MiB of free heap top is kept. Left alone when the user tunes malloc
// (GLIBC_TUNABLES with malloc settings, MALLOC_*_ variables) — and so under the `nightlights`
// launcher, which asks for huge pages (launcher_environment.hpp): with them, glibc's own
// thresholds did better (cold China run 1.02 s and 240 MiB, against 1.07 s and 310 MiB with
// these as well).
void keep_freed_memory();

// The per-user cache folder the commands default to: $NIGHTLIGHTS_CACHE_DIR, else
// $XDG_CACHE_HOME/nightlights, else ~/.cache/nightlights; empty when none can be named.
std::string default_cache_directory();

}  // namespace nl
