// Zone layers from OGR: ids, fields, CRS, GCJ-02, antimeridian, MakeValid, cell coordinates.
#include "pipeline/io/zone_layer.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <span>
#include <unordered_map>

#include "kernels/antimeridian.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/geometry_validity.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/vector_source.hpp"

namespace nl {

namespace {

// Appends the polygonal parts of g (Polygon, MultiPolygon, curves, collections) to `polygons`;
// returns false if g holds points or lines only.
bool collect_polygons(const OGRGeometry* g, std::vector<const OGRPolygon*>& polygons,
                      std::vector<std::unique_ptr<OGRGeometry>>& owned) {
  const auto type = wkbFlatten(g->getGeometryType());
  if (type == wkbPolygon) {
    polygons.push_back(g->toPolygon());
    return true;
  }
  if (type == wkbCurvePolygon || type == wkbMultiSurface) {
    owned.emplace_back(g->getLinearGeometry());
    return collect_polygons(owned.back().get(), polygons, owned);
  }
  if (type == wkbMultiPolygon || type == wkbGeometryCollection) {
    bool any = false;
    for (const OGRGeometry* part : *g->toGeometryCollection())
      any = collect_polygons(part, polygons, owned) || any;
    return any || type == wkbMultiPolygon;
  }
  return false;
}

// What prepare_geometry needs besides the feature: the source (path, datum) and the grid.
struct GeometryJob {
  const ZoneSource& src;
  const GridGeometry& grid;
  bool geographic = false;  // lon/lat grid: rings are unwrapped and placed across the seam
};

// A feature's geometry made ready for the coverage kernel, or why it cannot be.
struct PreparedGeometry {
  std::vector<Ring> rings;
  std::string error;
  uint8_t repaired = 0, empty = 0;
};

struct GeometryBatch {
  size_t first = 0;  // index of the batch's first feature
  std::vector<std::unique_ptr<OGRGeometry>> geometries;
  std::vector<PreparedGeometry> results;
};

// What a thread keeps from one geometry to the next: its validity checker and scratch space
// for a ring's coordinates (fresh vectors per ring cost an allocation and a zero fill each).
struct GeometryWorkspace {
  GeometryValidity validity;
  std::vector<double> x, y;
};

PreparedGeometry prepare_geometry(const GeometryJob& job, const std::string& id, std::unique_ptr<OGRGeometry> geom,
                                  OGRCoordinateTransformation* transform, GeometryWorkspace& work);

}  // namespace

namespace {

// Every ring of a polygon in lon/lat unwrapped across the seam (kernels/antimeridian.hpp), its
// holes moved next to its exterior.
void unwrap_longitudes(OGRGeometry* g, std::vector<double>& x, std::vector<double>& y) {
  const auto type = wkbFlatten(g->getGeometryType());
  if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
    for (OGRGeometry* part : *g->toGeometryCollection()) unwrap_longitudes(part, x, y);
    return;
  }
  if (type != wkbPolygon) return;
  double exterior_start = 0;
  bool first = true;
  for (OGRLinearRing* ring : *g->toPolygon()) {
    const int n = ring->getNumPoints();
    x.resize(static_cast<size_t>(n));
    y.resize(static_cast<size_t>(n));
    ring->getPoints(x.data(), sizeof(double), y.data(), sizeof(double));
    // A closed ring repeats its first vertex; the kernel sees the closing edge as an edge.
    const size_t m = n > 1 && x.front() == x.back() && y.front() == y.back() ? x.size() - 1 : x.size();
    bool changed = unwrap_ring_longitudes(std::span<double>(x.data(), m));
    if (first) {
      exterior_start = m ? x[0] : 0;
    } else if (m) {
      const double before = x[0];
      shift_near(std::span<double>(x.data(), m), exterior_start);
      changed = changed || x[0] != before;
    }
    first = false;
    if (!changed) continue;
    if (m < x.size()) x.back() = x.front();
    ring->setPoints(n, x.data(), y.data());
  }
}

// A polygon's rings, moved east by `shift` degrees, in cell coordinates; false (with
// out.error set) for a vertex far outside the raster's coordinate range.
bool append_rings(const GeometryJob& job, const std::string& id, const OGRPolygon& poly, double shift,
                  PreparedGeometry& out) {
  bool hole = false;
  for (const OGRLinearRing* ring : poly) {
    Ring r;
    r.hole = hole;
    hole = true;
    const int count = ring->getNumPoints();
    r.points.reserve(count);
    for (int i = 0; i < count; ++i) {
      const CellPoint p{job.grid.col_of_x(ring->getX(i) + shift), job.grid.row_of_y(ring->getY(i))};
      // |cell coordinate| < 2^40 keeps the coverage kernel's integer conversions defined.
      if (!(std::abs(p.x) < 1e12 && std::abs(p.y) < 1e12)) {
        out.error = job.src.path + ": feature '" + id + "' has a vertex at (" + std::to_string(ring->getX(i)) + ", " +
                    std::to_string(ring->getY(i)) + "), far outside the raster's coordinate range; fix the geometry";
        return false;
      }
      r.points.push_back(p);
    }
    if (r.points.size() > 1 && r.points.front().x == r.points.back().x && r.points.front().y == r.points.back().y)
      r.points.pop_back();
    out.rings.push_back(std::move(r));
  }
  return true;
}

PreparedGeometry prepare_geometry(const GeometryJob& job, const std::string& id, std::unique_ptr<OGRGeometry> geom,
                                  OGRCoordinateTransformation* transform, GeometryWorkspace& work) {
  PreparedGeometry out;
  const std::string& path = job.src.path;
  if (!geom || geom->IsEmpty()) {
    out.empty = 1;
    return out;
  }
  const OGRwkbGeometryType type = geom->getGeometryType();
  // The feature's own geometry (stolen from it when read): no copy unless curves need linearising.
  correct_geometry(geom, job.src.datum);
  if (transform && geom->transform(transform) != OGRERR_NONE) {
    out.error = path + ": feature '" + id + "' cannot be reprojected to the raster's CRS";
    return out;
  }
  if (job.geographic) unwrap_longitudes(geom.get(), work.x, work.y);
  if (!work.validity.is_valid(*geom)) {
    std::unique_ptr<OGRGeometry> fixed(geom->MakeValid());
    if (!fixed) {
      out.error = path + ": feature '" + id + "' is invalid and MakeValid failed (is GDAL built with GEOS?)";
      return out;
    }
    geom = std::move(fixed);
    out.repaired = 1;
  }
  std::vector<const OGRPolygon*> polygons;
  std::vector<std::unique_ptr<OGRGeometry>> owned;
  if (!collect_polygons(geom.get(), polygons, owned)) {
    if (out.repaired && OGR_GT_IsSurface(wkbFlatten(type)) == TRUE) {
      out.empty = 1;  // a polygon collapsed to a line or point: no area, an empty zone
      return out;
    }
    out.error = path + ": feature '" + id + "' is a " + std::string(OGRGeometryTypeToName(geom->getGeometryType())) +
                ", not a polygon; zonal statistics need polygon zones";
    return out;
  }
  for (const OGRPolygon* poly : polygons) {
    // On a lon/lat grid a polygon is placed once for every whole turn that brings it onto the
    // grid: a zone in 0…360 meets a −180…180 grid, and one spanning the seam meets both edges.
    std::vector<int> turns{0};
    if (job.geographic && poly->getExteriorRing()) {
      OGREnvelope e;
      poly->getExteriorRing()->getEnvelope(&e);
      const double a = job.grid.x_of_col(0), b = job.grid.x_of_col(static_cast<double>(job.grid.width));
      turns = turns_onto_grid(e.MinX, e.MaxX, std::min(a, b), std::max(a, b));
    }
    for (const int turn : turns)
      if (!append_rings(job, id, *poly, turn * 360.0, out)) return out;
  }
  return out;
}

}  // namespace

namespace {

// The layer, its feature count and the indexes of the id and carried fields, all checked.
struct ZoneLayerFields {
  VectorLayer source;
  GIntBig feature_count = 0;
  int id_index = -1;
  std::vector<int> include_index;
};

ZoneLayerFields open_zone_layer(const ZoneSource& src) {
  ZoneLayerFields z;
  z.source = open_vector_layer(src.path, src.layer);
  OGRLayer* layer = z.source.layer;
  z.feature_count = layer->GetFeatureCount(TRUE);
  if (z.feature_count == 0) throw UserError(src.path + ": layer '" + std::string(layer->GetName()) + "' has no features");
  OGRFeatureDefn* defn = layer->GetLayerDefn();
  z.id_index = defn->GetFieldIndex(src.id_field.c_str());
  if (z.id_index < 0)
    throw UserError(src.path + ": layer '" + layer->GetName() + "' has no field '" + src.id_field +
                    "' (fields: " + field_names(defn) + ")");
  for (const auto& name : src.include_fields) {
    const int i = defn->GetFieldIndex(name.c_str());
    if (i < 0)
      throw UserError(src.path + ": layer '" + layer->GetName() + "' has no field '" + name +
                      "' to include (fields: " + field_names(defn) + ")");
    z.include_index.push_back(i);
  }
  std::vector<std::string> used = src.include_fields;
  used.push_back(src.id_field);
  read_only_fields(layer, used, true);
  return z;
}

// The layer's CRS (or the one assumed for it) and the transformation to the raster's, null
// when they are the same.
std::unique_ptr<OGRCoordinateTransformation> transform_to_raster(const ZoneSource& src, OGRLayer* layer,
                                                                 const RasterInfo& raster,
                                                                 OGRSpatialReference& layer_srs) {
  if (const OGRSpatialReference* s = layer->GetSpatialRef(); s && !s->IsEmpty()) {
    layer_srs = *s;
  } else if (!src.assume_crs.empty()) {
    layer_srs.importFromWkt(crs_wkt_from_user(src.assume_crs).c_str());
    log_info(src.path + ": layer has no CRS; assuming " + src.assume_crs + " as asked");
  } else {
    throw UserError(src.path + ": layer '" + std::string(layer->GetName()) +
                    "' has no CRS; pass --assume-crs EPSG:4326 (or the right one) if you know it");
  }
  layer_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference raster_srs;
  raster_srs.importFromWkt(raster.crs_wkt.c_str());
  raster_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  if (src.datum == Datum::gcj02 && !layer_srs.IsGeographic())
    throw UserError(src.path + ": datum gcj02 needs lon/lat coordinates, but the layer's CRS is projected");
  std::unique_ptr<OGRCoordinateTransformation> transform;
  if (!layer_srs.IsSame(&raster_srs)) {
    transform.reset(OGRCreateCoordinateTransformation(&layer_srs, &raster_srs));
    if (!transform)
      throw UserError(src.path + ": cannot reproject from the layer's CRS (" +
                      std::string(layer_srs.GetName() ? layer_srs.GetName() : "?") + ") to the raster's");
  }
  return transform;
}

// Reads the features: ids and fields into `zones`, geometries prepared in parallel batches.
// One thread reads features (OGR layers are sequential) and hands batches of geometries to
// tasks that the other threads — and the reader, once done — prepare in parallel: reading
// overlaps the geometry work instead of preceding it. A deque keeps batches in place as it grows.
// The reader's lead is bounded: reading outruns validity checking, and unprepared OGR geometries
// piled up to most of the layer (~100 MB for China's counties), all in fresh pages whose
// first-touch faults cost a tenth of a cold run; a reader too far ahead prepares a batch itself.
std::deque<GeometryBatch> read_features(const ZoneSource& src, ZoneLayerFields& z, const GeometryJob& job,
                                        const OGRCoordinateTransformation* transform, ZoneSet& zones) {
  constexpr size_t kBatch = 32;
  const size_t max_ahead = 4 * static_cast<size_t>(omp_get_max_threads());
  std::atomic<size_t> prepared_batches{0};
  size_t handed_batches = 0;
  std::deque<GeometryBatch> batches;
  std::unordered_map<std::string, size_t> seen;
  std::vector<std::unique_ptr<OGRCoordinateTransformation>> thread_transform(omp_get_max_threads());
  std::vector<std::unique_ptr<GeometryWorkspace>> thread_work(omp_get_max_threads());
  auto prepare = [&](GeometryBatch& batch) {
    auto& local = thread_transform[omp_get_thread_num()];
    if (transform && !local) local.reset(transform->Clone());
    auto& work = thread_work[omp_get_thread_num()];
    if (!work) work = std::make_unique<GeometryWorkspace>();
    for (size_t k = 0; k < batch.geometries.size(); ++k) {
      const std::string& id = zones.ids[batch.first + k];
      try {  // an exception must not leave a task
        batch.results[k] = prepare_geometry(job, id, std::move(batch.geometries[k]), local.get(), *work);
      } catch (const std::exception& e) {
        batch.results[k].error = src.path + ": feature '" + id + "': " + e.what();
      }
    }
    batch.geometries.clear();
    prepared_batches.fetch_add(1, std::memory_order_relaxed);
  };
  OGRLayer* layer = z.source.layer;
  std::exception_ptr read_failure;
#pragma omp parallel
#pragma omp single
  {
    try {
      layer->ResetReading();
      // ids are reserved up front so tasks may read earlier ids while the reader appends.
      zones.ids.reserve(static_cast<size_t>(std::max<GIntBig>(kBatch, z.feature_count)));
      for (auto& feature : *layer) {
        const size_t index = zones.ids.size();
        if (index == zones.ids.capacity()) {
#pragma omp taskwait
          zones.ids.reserve(2 * index);
        }
        std::string id = feature->GetFieldAsString(z.id_index);
        if (!feature->IsFieldSetAndNotNull(z.id_index))
          throw UserError(src.path + ": feature " + std::to_string(index + 1) + " has no value in id field '" +
                          src.id_field + "'");
        if (auto [it, fresh] = seen.emplace(id, index); !fresh)
          throw UserError(src.path + ": duplicate id '" + id + "' in field '" + src.id_field + "' (features " +
                          std::to_string(it->second + 1) + " and " + std::to_string(index + 1) +
                          "); ids must be unique");
        std::vector<std::string> carried;
        for (int i : z.include_index) carried.emplace_back(feature->GetFieldAsString(i));
        zones.ids.push_back(std::move(id));
        zones.fields.push_back(std::move(carried));
        if (batches.empty() || batches.back().geometries.size() == kBatch) {
          if (!batches.empty()) {
            GeometryBatch* full = &batches.back();
            full->results.resize(full->geometries.size());
            if (++handed_batches > prepared_batches.load(std::memory_order_relaxed) + max_ahead) {
              prepare(*full);
            } else {
#pragma omp task firstprivate(full)
              prepare(*full);
            }
          }
          batches.emplace_back();
          batches.back().first = index;
        }
        batches.back().geometries.emplace_back(feature->StealGeometry());
      }
      if (!batches.empty() && batches.back().results.empty()) {
        batches.back().results.resize(batches.back().geometries.size());
        prepare(batches.back());
      }
    } catch (...) {
      read_failure = std::current_exception();
    }
  }  // the tasks are done at the end of the single region's implicit barrier
  if (read_failure) std::rethrow_exception(read_failure);
  return batches;
}

// The prepared rings into `zones`, in input order; the first failing feature's error thrown.
void collect_prepared(std::deque<GeometryBatch>& batches, ZoneSet& zones) {
  const size_t n = zones.ids.size();
  zones.rings.resize(n);
  std::vector<std::string> errors(n);
  std::vector<uint8_t> repaired(n, 0), empty(n, 0);
  for (auto& batch : batches)
    for (size_t k = 0; k < batch.results.size(); ++k) {
      PreparedGeometry& r = batch.results[k];
      const size_t z = batch.first + k;
      zones.rings[z] = std::move(r.rings);
      errors[z] = std::move(r.error);
      repaired[z] = r.repaired;
      empty[z] = r.empty;
    }
  for (size_t z = 0; z < n; ++z) {
    if (!errors[z].empty()) throw UserError(errors[z]);
    zones.repaired += repaired[z];
    zones.empty += empty[z];
  }
}

}  // namespace

ZoneSet read_zones(const ZoneSource& src, const RasterInfo& raster) {
  configure_gdal();
  clear_gdal_error();
  ZoneLayerFields layer = open_zone_layer(src);
  OGRSpatialReference layer_srs;
  const auto transform = transform_to_raster(src, layer.source.layer, raster, layer_srs);
  ZoneSet zones;
  zones.layer_name = layer.source.layer->GetName();
  zones.field_names = src.include_fields;
  zones.reprojected = transform != nullptr;
  const GeometryJob job{src, raster.grid, raster.geographic};
  const auto t_read = std::chrono::steady_clock::now();
  auto batches = read_features(src, layer, job, transform.get(), zones);
  const auto t_geom = std::chrono::steady_clock::now();
  collect_prepared(batches, zones);
  log_timing("read features and geometry", std::chrono::duration<double>(t_geom - t_read).count());
  log_timing("collecting", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_geom).count());
  if (zones.ids.empty()) throw UserError(src.path + ": layer '" + zones.layer_name + "' has no features");
  if (zones.repaired)
    log_warning(src.path + ": repaired " + std::to_string(zones.repaired) + " invalid geometr" +
                (zones.repaired == 1 ? "y" : "ies") + " with MakeValid");
  if (zones.reprojected)
    log_info(src.path + ": reprojected zones from " +
             std::string(layer_srs.GetName() ? layer_srs.GetName() : "the layer's CRS") + " to the raster's CRS");
  return zones;
}

}  // namespace nl
