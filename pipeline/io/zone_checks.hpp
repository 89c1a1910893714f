// Checks of a run's zone layers made before any release is processed: a layer with no
// features, an empty id, or two ids that differ only by surrounding spaces would otherwise be
// found (or not found at all) after a release's raster pass.
#pragma once
#include <vector>

#include "pipeline/io/config.hpp"

namespace nl {

// Throws UserError "PATH: problem" naming the feature(s). Files that cannot be opened are left
// to the zone reader, which reports them with the layers and fields it finds.
void check_zone_ids(const std::vector<ZoneLayerConfig>& zones);

}  // namespace nl
