// GeoPackage output: one level's latest-release table joined to its units' geometries, for
// QGIS. Written under a temporary name and renamed; OGR_CURRENT_DATE is fixed so that the same
// inputs give the same file.
#pragma once
#include <memory>
#include <string>
#include <vector>

class OGRGeometry;
class OGRSpatialReference;

namespace nl {

struct UnitGeometry {
  std::string code;
  std::unique_ptr<OGRGeometry> geometry;  // may be null (a unit without geometry)
};

// `table_csv` is the level's CSV as written (header + rows); rows are joined on its `code`.
void write_level_geopackage(const std::string& path, const std::string& layer_name,
                            std::vector<UnitGeometry>& units, const OGRSpatialReference* srs,
                            const std::string& table_csv);

}  // namespace nl
