// Validity of OGR polygons: the kernel's proof first, GEOS for what it cannot prove (see the
// header), and MakeValid for what is invalid.
#include "pipeline/io/geometry_validity.hpp"

#include <geos_c.h>
#include <ogr_geometry.h>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

GeometryValidity::GeometryValidity() : ctx_(GEOS_init_r()) {}
GeometryValidity::~GeometryValidity() { GEOS_finish_r(ctx_); }

bool GeometryValidity::proven_valid(const OGRGeometry& g) { return flatten(g) && proof_.certainly_valid(flat_); }

bool GeometryValidity::is_valid(const OGRGeometry& g) {
  if (proven_valid(g)) return true;
  GEOSGeometry* geos = geos_geometry(g);
  if (!geos) return g.IsValid();  // a type or ring GEOS will not build here: OGR decides
  const char valid = GEOSisValid_r(ctx_, geos);
  GEOSGeom_destroy_r(ctx_, geos);
  return valid == 1;
}

// The polygon or multipolygon's rings into flat_; false for other types.
bool GeometryValidity::flatten(const OGRGeometry& g) {
  flat_.clear();
  const auto type = wkbFlatten(g.getGeometryType());
  if (type == wkbPolygon) {
    add_polygon(*g.toPolygon());
    return true;
  }
  if (type != wkbMultiPolygon) return false;
  for (const OGRPolygon* p : *g.toMultiPolygon()) add_polygon(*p);
  return true;
}

void GeometryValidity::add_polygon(const OGRPolygon& p) {
  for (const OGRLinearRing* r : p) {
    const size_t n = static_cast<size_t>(r->getNumPoints()), at = flat_.xy.size();
    flat_.xy.resize(at + 2 * n);
    r->getPoints(flat_.xy.data() + at, 2 * sizeof(double), flat_.xy.data() + at + 1, 2 * sizeof(double));
    flat_.ring_end.push_back((at / 2) + n);
  }
  flat_.polygon_end.push_back(flat_.ring_end.size());
}

GEOSGeometry* GeometryValidity::geos_ring(const OGRLinearRing& r) {
  const int n = r.getNumPoints();
  xy_.resize(2 * static_cast<size_t>(n));
  r.getPoints(xy_.data(), 2 * sizeof(double), xy_.data() + 1, 2 * sizeof(double));
  GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(ctx_, xy_.data(), static_cast<unsigned>(n), 0, 0);
  return seq ? GEOSGeom_createLinearRing_r(ctx_, seq) : nullptr;  // the ring owns seq, or frees it on failure
}

GEOSGeometry* GeometryValidity::geos_polygon(const OGRPolygon& p) {
  std::vector<GEOSGeometry*> rings;
  for (const OGRLinearRing* r : p) {
    GEOSGeometry* g = geos_ring(*r);
    if (!g) {
      for (GEOSGeometry* made : rings) GEOSGeom_destroy_r(ctx_, made);
      return nullptr;
    }
    rings.push_back(g);
  }
  if (rings.empty()) return GEOSGeom_createEmptyPolygon_r(ctx_);
  return GEOSGeom_createPolygon_r(ctx_, rings[0], rings.data() + 1, static_cast<unsigned>(rings.size() - 1));
}

GEOSGeometry* GeometryValidity::geos_geometry(const OGRGeometry& g) {
  const auto type = wkbFlatten(g.getGeometryType());
  if (type == wkbPolygon) return geos_polygon(*g.toPolygon());
  if (type != wkbMultiPolygon) return nullptr;
  std::vector<GEOSGeometry*> parts;
  for (const OGRPolygon* p : *g.toMultiPolygon()) {
    GEOSGeometry* part = geos_polygon(*p);
    if (!part) {
      for (GEOSGeometry* made : parts) GEOSGeom_destroy_r(ctx_, made);
      return nullptr;
    }
    parts.push_back(part);
  }
  return GEOSGeom_createCollection_r(ctx_, GEOS_MULTIPOLYGON, parts.data(), static_cast<unsigned>(parts.size()));
}

bool repair_if_invalid(std::unique_ptr<OGRGeometry>& geometry, GeometryValidity& validity) {
  if (!geometry || validity.is_valid(*geometry)) return false;
  std::unique_ptr<OGRGeometry> fixed(geometry->MakeValid());
  if (!fixed) throw UserError("an invalid geometry could not be repaired with MakeValid (is GDAL built with GEOS?)");
  geometry = std::move(fixed);
  return true;
}

}  // namespace nl
