// What the manifest and the output folder say about releases processed before: which tables
// the panel holds, which releases' rasters were deleted since, and which tables a release that
// fails now keeps from its last good run.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/io/manifest.hpp"
#include "pipeline/io/releases.hpp"

namespace nl {

// Releases whose tables the panel holds: done, or failed with their last good tables kept, and
// with their folder in OUT/releases. In id order.
std::vector<std::string> panel_releases(const Manifest& manifest, const std::string& out);

// Releases with tables whose raster is gone from the disk (not merely outside --releases or
// `only`): (id, the raster's recorded path). Reported, never redone, their tables kept.
std::vector<std::pair<std::string, std::string>> deleted_rasters(const Manifest& manifest, const std::string& out,
                                                                 const std::vector<ReleaseFile>& found,
                                                                 const std::string& only);

// The record of a release that failed now. It keeps the tables of its last good run (in
// releases/<id> and the panel) when they were made with `settings`; tables of other settings
// are removed (when `may_remove`, i.e. on the writing rank), since a panel never mixes them.
ReleaseRecord failure_record(const Manifest& manifest, const std::string& out, const ReleaseFile& release,
                             const std::string& reason, const std::string& settings, bool may_remove);

}  // namespace nl
