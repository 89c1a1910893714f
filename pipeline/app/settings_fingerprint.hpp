// The settings fingerprint of a run: everything besides the release files that shapes the
// tables, taken from the parsed configuration (not its text, so comments and key order do not
// count) and the zone files' contents. A release made with another fingerprint is redone.
#pragma once
#include <string>

#include "pipeline/io/config.hpp"
#include "pipeline/io/manifest.hpp"

namespace nl {

// The parsed settings as text, one line per section, numbers at full precision.
std::string settings_text(const RunConfig& config);

// SHA-256 of settings_text and the zone files' hashes. A zone file is hashed again only when
// its size or mtime moved since `manifest.zone_inputs` (always with `verify`); the stamps seen
// now replace manifest.zone_inputs.
std::string settings_fingerprint(const RunConfig& config, Manifest& manifest, bool verify);

// The hash settings_fingerprint recorded for the zone file at `path` ("" when none).
std::string zone_sha256(const Manifest& manifest, const std::string& path);

}  // namespace nl
