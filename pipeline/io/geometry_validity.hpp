// Whether an OGR polygon or multipolygon is valid, decided cheaply where possible: most zones
// are proven valid by kernels/polygon_validity (nothing touches, holes inside, parts apart),
// under half the cost of GEOS's full topology analysis, which was a quarter of a cold run's CPU
// on a country's counties; the rest go to GEOS, built straight from OGR's coordinate arrays
// (OGR's IsValid creates a GEOS context per call and copies through WKB both ways). Every
// geometry path (zones, GeoPackage units, the Hu line) checks validity through this one class.
#pragma once
#include <memory>
#include <vector>

#include "kernels/polygon_validity.hpp"

class OGRGeometry;
class OGRPolygon;
struct GEOSContextHandle_HS;
struct GEOSGeom_t;

namespace nl {

// One per thread: it holds a GEOS context and scratch space.
class GeometryValidity {
 public:
  GeometryValidity();
  ~GeometryValidity();
  GeometryValidity(const GeometryValidity&) = delete;
  GeometryValidity& operator=(const GeometryValidity&) = delete;

  // Polygons and multipolygons by the proof, then GEOS; any other type by OGR's IsValid.
  bool is_valid(const OGRGeometry& g);
  // Whether the proof alone settles it (a polygon or multipolygon proven valid).
  bool proven_valid(const OGRGeometry& g);

 private:
  bool flatten(const OGRGeometry& g);
  void add_polygon(const OGRPolygon& p);
  GEOSGeom_t* geos_geometry();

  GEOSContextHandle_HS* ctx_;
  FlatPolygons flat_;  // the geometry's rings, read from OGR once for the proof and for GEOS
  ValidityProof proof_;
};

// Replaces an invalid geometry with MakeValid's repair; returns true when it did. Throws
// UserError when the repair fails.
bool repair_if_invalid(std::unique_ptr<OGRGeometry>& geometry, GeometryValidity& validity);

}  // namespace nl
