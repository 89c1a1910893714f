// GeoPackage output: one level's latest-release table joined to its units' geometries, for
// QGIS. Written under a temporary name and renamed; OGR_CURRENT_DATE is fixed so that the same
// inputs give the same file.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "pipeline/io/typed_table.hpp"

class OGRGeometry;
class OGRSpatialReference;

namespace nl {

struct UnitGeometry {
  std::string code;
  std::unique_ptr<OGRGeometry> geometry;  // may be null (a unit without geometry)
};

// `table` is the level's typed table (its text, integer and real columns become String,
// Integer64 and Real fields; NaN is null); rows are joined to `units` on its `code` column.
void write_level_geopackage(const std::string& path, const std::string& layer_name,
                            std::vector<UnitGeometry>& units, const OGRSpatialReference* srs,
                            const TypedTable& table);

}  // namespace nl
