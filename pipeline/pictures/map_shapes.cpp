// The zones as drawn on the maps: read, datum-corrected and projected to Albers once per run.
#include "pipeline/pictures/map_shapes.hpp"

#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/vector_source.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

std::string AlbersParameters::proj_string() const {
  char buf[200];
  std::snprintf(buf, sizeof buf, "+proj=aea +lat_1=%.6g +lat_2=%.6g +lat_0=%.6g +lon_0=%.6g +datum=WGS84 +units=m +no_defs",
                lat_1, lat_2, lat_0, lon_0);
  return buf;
}

AlbersParameters albers_for_extent(double lon_min, double lat_min, double lon_max, double lat_max) {
  const bool china = lon_min >= 70 && lon_max <= 140 && lat_min >= 0 && lat_max <= 56 && lon_max - lon_min > 8;
  if (china) return {25, 47, 0, 105};
  const double range = lat_max - lat_min;
  AlbersParameters p;
  p.lat_1 = std::round(lat_min + range / 6);
  p.lat_2 = std::round(lat_max - range / 6);
  if (p.lat_1 == p.lat_2) p.lat_2 = p.lat_1 + 1;  // a one-degree band still needs two parallels
  p.lat_0 = std::round((lat_min + lat_max) / 2);
  p.lon_0 = std::round((lon_min + lon_max) / 2);
  return p;
}

MapProjector::MapProjector(const AlbersParameters& p) {
  OGRSpatialReference wgs84, albers;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  albers.importFromProj4(p.proj_string().c_str());
  albers.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  t_.reset(OGRCreateCoordinateTransformation(&wgs84, &albers));
  if (!t_) throw UserError("maps: cannot create the Albers projection " + p.proj_string());
}

MapProjector::~MapProjector() = default;

void MapProjector::project(std::vector<double>& x, std::vector<double>& y) const {
  std::vector<int> ok(x.size());
  t_->Transform(x.size(), x.data(), y.data(), nullptr, ok.data());
  for (size_t i = 0; i < x.size(); ++i)
    if (!ok[i]) x[i] = y[i] = std::numeric_limits<double>::quiet_NaN();
}

std::pair<double, double> MapProjector::project(double lon, double lat) const {
  std::vector<double> x{lon}, y{lat};
  project(x, y);
  return {x[0], y[0]};
}

namespace {

void collect_rings(const OGRGeometry* g, std::vector<MapRing>& out) {
  if (!g) return;
  switch (wkbFlatten(g->getGeometryType())) {
    case wkbPolygon:
      for (const OGRLinearRing* ring : *g->toPolygon()) {
        MapRing r;
        for (const OGRPoint& p : *ring) r.emplace_back(p.getX(), p.getY());
        if (r.size() >= 3) out.push_back(std::move(r));
      }
      break;
    case wkbMultiPolygon:
    case wkbGeometryCollection:
      for (const OGRGeometry* part : *g->toGeometryCollection()) collect_rings(part, out);
      break;
    default:
      break;
  }
}

// The layer's polygons into lon/lat WGS84 (the layer's CRS, or assume_crs, or lon/lat).
std::unique_ptr<OGRCoordinateTransformation> to_lonlat(const OGRLayer* layer, const ZoneLayerConfig& z) {
  OGRSpatialReference src;
  if (const OGRSpatialReference* s = const_cast<OGRLayer*>(layer)->GetSpatialRef()) src = *s;
  else if (!z.assume_crs.empty()) src.SetFromUserInput(z.assume_crs.c_str());
  else return nullptr;
  if (src.IsGeographic()) return nullptr;  // already lon/lat (datum shifts are below a pixel)
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return std::unique_ptr<OGRCoordinateTransformation>(OGRCreateCoordinateTransformation(&src, &wgs84));
}

// The maps' simplification, before projecting: vertices snapped to a grid of `step` degrees,
// repeated ones dropped. Neighbours' shared vertices snap alike, so shared edges stay shared
// (a topology-blind simplifier per polygon would open slivers between them).
constexpr double kThinningSteps = 4000;  // grid steps across the extent: ~3 per map pixel
void thin_rings(std::vector<std::vector<MapRing>>& rings, double step) {
  for (auto& f : rings) {
    for (auto& r : f) {
      MapRing out;
      for (const auto& [lon, lat] : r) {
        const std::pair<double, double> q{std::round(lon / step) * step, std::round(lat / step) * step};
        if (out.empty() || out.back() != q) out.push_back(q);
      }
      while (out.size() > 1 && out.front() == out.back()) out.pop_back();
      r = std::move(out);
    }
    std::erase_if(f, [](const MapRing& r) { return r.size() < 3; });
  }
}

// Flags the rings of China's South China Sea islands for the inset (see MapShapes). Only with
// China's projection and when the main part keeps something: elsewhere nothing moves.
void mark_inset(MapShapes& shapes) {
  const bool china = shapes.albers.lon_0 == 105 && shapes.albers.lat_1 == 25 && shapes.albers.lat_2 == 47;
  size_t main = 0, inset = 0;
  shapes.in_inset.resize(shapes.rings.size());
  for (size_t f = 0; f < shapes.rings.size(); ++f) {
    shapes.in_inset[f].assign(shapes.rings[f].size(), 0);
    for (size_t k = 0; k < shapes.rings[f].size(); ++k) {
      const auto& r = shapes.rings[f][k];
      const bool south = china && std::all_of(r.begin(), r.end(), [](const auto& p) { return p.second < 17.5 && p.first > 108; });
      shapes.in_inset[f][k] = south;
      ++(south ? inset : main);
    }
  }
  shapes.has_inset = inset > 0 && main > 0;
  if (!shapes.has_inset)
    for (auto& f : shapes.in_inset) std::fill(f.begin(), f.end(), 0);
}

}  // namespace

MapShapes read_map_shapes(const ZoneLayerConfig& z) {
  const VectorLayer source = open_vector_layer(z.path, z.layer);
  OGRLayer* layer = source.layer;
  const auto lonlat = to_lonlat(layer, z);
  MapShapes shapes;
  for (auto& feature : *layer) {
    shapes.ids.emplace_back(feature->GetFieldAsString(z.id_field.c_str()));
    // As the engine measured it, but not repaired: a fill needs no validity. GCJ-02 layers are
    // lon/lat already, so converting before the transformation to lon/lat is the same.
    std::unique_ptr<OGRGeometry> g = corrected_geometry(feature->GetGeometryRef(), z.datum);
    if (g && lonlat) g->transform(lonlat.get());
    shapes.rings.emplace_back();
    collect_rings(g.get(), shapes.rings.back());
  }
  double lon_min = 180, lon_max = -180, lat_min = 90, lat_max = -90;
  for (const auto& f : shapes.rings)
    for (const auto& r : f)
      for (const auto& [lon, lat] : r) {
        lon_min = std::min(lon_min, lon), lon_max = std::max(lon_max, lon);
        lat_min = std::min(lat_min, lat), lat_max = std::max(lat_max, lat);
      }
  if (lon_min > lon_max) throw UserError(z.path + ": no polygons to draw");
  thin_rings(shapes.rings, std::max(lon_max - lon_min, lat_max - lat_min) / kThinningSteps);
  shapes.albers = albers_for_extent(lon_min, lat_min, lon_max, lat_max);
  mark_inset(shapes);
  const MapProjector projector(shapes.albers);
  shapes.x_min = shapes.y_min = std::numeric_limits<double>::infinity();
  shapes.x_max = shapes.y_max = -std::numeric_limits<double>::infinity();
  shapes.inset.x_min = shapes.inset.y_min = std::numeric_limits<double>::infinity();
  shapes.inset.x_max = shapes.inset.y_max = -std::numeric_limits<double>::infinity();
  std::vector<double> x, y;
  for (size_t f = 0; f < shapes.rings.size(); ++f)
    for (size_t k = 0; k < shapes.rings[f].size(); ++k) {
      MapRing& r = shapes.rings[f][k];
      const bool inset = shapes.in_inset[f][k];
      x.resize(r.size()), y.resize(r.size());
      for (size_t i = 0; i < r.size(); ++i) x[i] = r[i].first, y[i] = r[i].second;
      projector.project(x, y);
      for (size_t i = 0; i < r.size(); ++i) {
        r[i] = {x[i], y[i]};
        if (std::isnan(x[i])) continue;
        double& x_min = inset ? shapes.inset.x_min : shapes.x_min;
        double& x_max = inset ? shapes.inset.x_max : shapes.x_max;
        double& y_min = inset ? shapes.inset.y_min : shapes.y_min;
        double& y_max = inset ? shapes.inset.y_max : shapes.y_max;
        x_min = std::min(x_min, x[i]), x_max = std::max(x_max, x[i]);
        y_min = std::min(y_min, y[i]), y_max = std::max(y_max, y[i]);
      }
    }
  return shapes;
}

}  // namespace nl
