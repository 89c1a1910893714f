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
  if (!flatten(g)) return g.IsValid();  // not a polygon: OGR decides
  if (proof_.certainly_valid(flat_)) return true;
  GEOSGeometry* geos = geos_geometry();
  if (!geos) return g.IsValid();  // a ring GEOS will not build (unclosed, too few points): OGR decides
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

// flat_ as a GEOS multipolygon (a polygon's verdict is its one-part multipolygon's); null when
// GEOS refuses a ring.
GEOSGeometry* GeometryValidity::geos_geometry() {
  std::vector<GEOSGeometry*> parts, rings;
  const auto destroy = [this](std::vector<GEOSGeometry*>& made) {
    for (GEOSGeometry* g : made) GEOSGeom_destroy_r(ctx_, g);
  };
  size_t ring = 0, point = 0;
  for (const size_t polygon_end : flat_.polygon_end) {
    rings.clear();
    for (; ring < polygon_end; ++ring) {
      const size_t end = flat_.ring_end[ring];
      GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(ctx_, flat_.xy.data() + 2 * point,
                                                             static_cast<unsigned>(end - point), 0, 0);
      point = end;
      // The ring owns seq, or frees it on failure.
      GEOSGeometry* r = seq ? GEOSGeom_createLinearRing_r(ctx_, seq) : nullptr;
      if (!r) {
        destroy(rings);
        destroy(parts);
        return nullptr;
      }
      rings.push_back(r);
    }
    GEOSGeometry* part = rings.empty() ? GEOSGeom_createEmptyPolygon_r(ctx_)
                                       : GEOSGeom_createPolygon_r(ctx_, rings[0], rings.data() + 1,
                                                                  static_cast<unsigned>(rings.size() - 1));
    if (!part) {  // the polygon took its rings either way
      destroy(parts);
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
