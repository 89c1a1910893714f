// `nightlights run CONFIG`: the batch job over satellite releases. Processes new or changed
// releases only, one raster pass each, rolls units up the levels, writes per-release tables,
// panels, GeoPackages, provenance and the manifest; resumable after a stop at any moment.
#pragma once
#include <string>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

struct BatchOptions {
  std::string config;
  bool force = false;         // redo every release
  std::string only;           // just this release id
  bool dry_run = false;       // list what would be done
  std::string releases_glob;  // overrides releases.files
  int threads = 0;
  std::string cache_dir;      // coverage index cache; empty: off
  bool no_wait = false;       // refuse, rather than wait, when another run holds the output's lock
  bool verify = false;        // hash every input, even those whose size and mtime are unchanged
  // Each release's fraction of windows done; returning false cancels the run (Cancelled is
  // thrown; finished releases are kept and the next run resumes).
  ProgressCallback progress;
};

// Returns the process exit code: 0 all done, 1 some release failed, 130/143 interrupted.
int run_batch(const BatchOptions& options);

}  // namespace nl
