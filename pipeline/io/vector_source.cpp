// Vector layers and measured geometries (see vector_source.hpp).
#include "pipeline/io/vector_source.hpp"

#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"

namespace nl {

void VectorLayer::Closer::operator()(GDALDataset* d) const { GDALClose(d); }

namespace {

std::string layer_names(GDALDataset* ds) {
  std::string names;
  for (int i = 0; i < ds->GetLayerCount(); ++i) names += (i ? ", " : "") + std::string(ds->GetLayer(i)->GetName());
  return names;
}

}  // namespace

std::string field_names(OGRFeatureDefn* definition) {
  std::string names;
  for (int i = 0; i < definition->GetFieldCount(); ++i)
    names += (i ? ", " : "") + std::string(definition->GetFieldDefn(i)->GetNameRef());
  return names;
}

void read_only_fields(OGRLayer* layer, const std::vector<std::string>& keep, bool with_geometry) {
  OGRFeatureDefn* definition = layer->GetLayerDefn();
  std::vector<bool> kept(static_cast<size_t>(definition->GetFieldCount()), false);
  for (const std::string& name : keep)
    if (const int i = definition->GetFieldIndex(name.c_str()); i >= 0) kept[static_cast<size_t>(i)] = true;
  std::vector<const char*> ignored;
  for (int i = 0; i < definition->GetFieldCount(); ++i)
    if (!kept[static_cast<size_t>(i)]) ignored.push_back(definition->GetFieldDefn(i)->GetNameRef());
  ignored.push_back("OGR_STYLE");
  if (!with_geometry) ignored.push_back("OGR_GEOMETRY");
  ignored.push_back(nullptr);
  layer->SetIgnoredFields(ignored.data());
}

VectorLayer open_vector_layer(const std::string& path, const std::string& layer) {
  configure_gdal();
  VSIStatBufL st;
  const bool is_plain_file = path.find(':') == std::string::npos && path.rfind("/vsi", 0) != 0;
  if (is_plain_file && VSIStatL(path.c_str(), &st) != 0)
    throw UserError(path + ": zone file not found (check the path)");
  VectorLayer v;
  v.dataset.reset(static_cast<GDALDataset*>(
      GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
  if (!v.dataset || v.dataset->GetLayerCount() == 0)
    throw UserError(path +
                    ": cannot open as a vector layer (give a GeoPackage, shapefile, GeoJSON or another OGR source)");
  v.layer = layer.empty() ? v.dataset->GetLayer(0) : v.dataset->GetLayerByName(layer.c_str());
  if (!v.layer)
    throw UserError(path + ": no layer '" + layer + "' (layers: " + layer_names(v.dataset.get()) + ")");
  return v;
}

// GCJ-02 → WGS84 on every vertex. OGRCoordinateTransformation's virtual signature changes
// between GDAL versions, so we walk the geometry rather than subclass it.
void gcj02_to_wgs84_in_place(OGRGeometry* g) {
  const auto type = wkbFlatten(g->getGeometryType());
  if (type == wkbLineString || type == wkbLinearRing) {
    auto* curve = static_cast<OGRSimpleCurve*>(g);
    const auto n = static_cast<size_t>(curve->getNumPoints());
    // The thread's arrays, kept from ring to ring: a cold run converts ~4 M vertices in ~50 k
    // rings, and arrays of its own per ring cost it fresh pages (this VM's dearest thing).
    thread_local std::vector<double> lon, lat;
    if (lon.size() < n) lon.resize(n), lat.resize(n);
    curve->getPoints(lon.data(), sizeof(double), lat.data(), sizeof(double));
    gcj02_to_wgs84(std::span(lon.data(), n), std::span(lat.data(), n));  // several vertices at a time
    if (curve->Is3D() || curve->IsMeasured()) {  // setPoints would drop their Z and M
      for (size_t i = 0; i < n; ++i) curve->setPoint(static_cast<int>(i), lon[i], lat[i]);
    } else {
      curve->setPoints(static_cast<int>(n), lon.data(), lat.data());
    }
  } else if (type == wkbPolygon) {
    for (OGRLinearRing* ring : *g->toPolygon()) gcj02_to_wgs84_in_place(ring);
  } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
    for (OGRGeometry* part : *g->toGeometryCollection()) gcj02_to_wgs84_in_place(part);
  } else if (type == wkbPoint) {
    auto* p = g->toPoint();
    double lon = p->getX(), lat = p->getY();
    gcj02_to_wgs84(lon, lat, lon, lat);
    p->setX(lon);
    p->setY(lat);
  }
}

void correct_geometry(std::unique_ptr<OGRGeometry>& geometry, Datum datum) {
  if (!geometry) return;
  if (geometry->hasCurveGeometry()) geometry.reset(geometry->getLinearGeometry());
  if (datum == Datum::gcj02) gcj02_to_wgs84_in_place(geometry.get());
}

std::unique_ptr<OGRGeometry> corrected_geometry(const OGRGeometry* geometry, Datum datum) {
  if (!geometry) return nullptr;
  std::unique_ptr<OGRGeometry> copy(geometry->hasCurveGeometry() ? geometry->getLinearGeometry() : geometry->clone());
  if (datum == Datum::gcj02) gcj02_to_wgs84_in_place(copy.get());
  return copy;
}

}  // namespace nl
