// The Hu line: its geodesic, the two side polygons and the side of each zone.
#include "pipeline/analysis/hu_line.hpp"

#include <gdal_priv.h>
#include <geodesic.h>
#include <ogrsf_frmts.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/geometry_validity.hpp"
#include "pipeline/io/temporary_files.hpp"
#include "pipeline/io/vector_source.hpp"
#include "pipeline/io/zone_layer.hpp"

namespace nl {

HuLineDefinition load_hu_line_definition(const std::string& path) {
  HuLineDefinition d;
  d.source = path;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw UserError(path + ": Hu line definition not found");
  } catch (const YAML::Exception& e) {
    throw UserError(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  try {
    d.ne_lon = root["northeast"]["lon"].as<double>();
    d.ne_lat = root["northeast"]["lat"].as<double>();
    d.sw_lon = root["southwest"]["lon"].as<double>();
    d.sw_lat = root["southwest"]["lat"].as<double>();
    if (root["shape"]) d.shape = root["shape"].as<std::string>();
    if (root["step_km"]) d.step_km = root["step_km"].as<double>();
    if (root["extend_km"]) d.extend_km = root["extend_km"].as<double>();
  } catch (const YAML::Exception& e) {
    throw UserError(path + ":" + std::to_string(e.mark.line + 1) +
                    ": expected northeast/southwest {lon, lat}, shape, step_km, extend_km (" + e.msg + ")");
  }
  if (d.shape != "geodesic" && d.shape != "straight-lonlat")
    throw UserError(path + ": shape must be geodesic or straight-lonlat, not '" + d.shape + "'");
  if (!(d.step_km > 0) || !(d.extend_km >= 0)) throw UserError(path + ": step_km must be > 0 and extend_km >= 0");
  return d;
}

std::vector<std::pair<double, double>> hu_line_vertices(const HuLineDefinition& d) {
  std::vector<std::pair<double, double>> v;
  if (d.shape == "geodesic") {
    geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    geod_geodesicline line;
    geod_inverseline(&line, &g, d.ne_lat, d.ne_lon, d.sw_lat, d.sw_lon, 0);
    const double length = line.s13;
    const double step = d.step_km * 1000, extend = d.extend_km * 1000;
    const int n = static_cast<int>(std::ceil((length + 2 * extend) / step));
    for (int i = 0; i <= n; ++i) {
      const double s = -extend + (length + 2 * extend) * i / n;  // negative: beyond the NE end
      double lat, lon;
      geod_position(&line, s, &lat, &lon, nullptr);
      v.emplace_back(lon, lat);
    }
  } else {
    // The straight segment in lon/lat, continued with the same slope.
    const double dlon = d.sw_lon - d.ne_lon, dlat = d.sw_lat - d.ne_lat;
    const double deg_per_km = std::hypot(dlon, dlat) / 3700.0;  // about the segment's length
    const double t_extend = d.extend_km * deg_per_km / std::hypot(dlon, dlat);
    const int n = 1000;
    for (int i = 0; i <= n; ++i) {
      const double t = -t_extend + (1 + 2 * t_extend) * i / n;
      v.emplace_back(d.ne_lon + t * dlon, d.ne_lat + t * dlat);
    }
  }
  return v;
}

int hu_line_side(const std::vector<std::pair<double, double>>& v, double lon, double lat) {
  // The line falls monotonically in latitude from NE to SW: find the segment at this latitude,
  // or continue the end segments, and compare longitudes.
  if (v.size() < 2) return 0;
  size_t i = 0;
  while (i + 2 < v.size() && v[i + 1].second > lat) ++i;
  const auto& a = v[i];
  const auto& b = v[i + 1];
  const double t = (lat - a.second) / (b.second - a.second);
  const double lon_on_line = a.first + t * (b.first - a.first);
  return lon > lon_on_line ? 1 : -1;
}

std::pair<double, double> write_hu_line_zones(const HuLineDefinition& line, const CountrySource& country,
                                              const std::string& path) {
  configure_gdal();
  const auto v = hu_line_vertices(line);
  // The two sides of the plane: the line, closed around the east or the west of a box that
  // holds the country, with the line's ends continued north and south.
  const double north = 89, south = -89, east_edge = 179.9, west_edge = -179.9;
  auto side_polygon = [&](bool east) {
    OGRLinearRing ring;
    for (const auto& [lon, lat] : v) ring.addPoint(lon, lat);
    const double edge = east ? east_edge : west_edge;
    ring.addPoint(v.back().first, south);
    ring.addPoint(edge, south);
    ring.addPoint(edge, north);
    ring.addPoint(v.front().first, north);
    ring.closeRings();
    OGRPolygon p;
    p.addRing(&ring);
    return p;
  };
  // The country: the union of the layer's polygons (a `nation` layer is one feature already).
  const VectorLayer source = open_vector_layer(country.path, country.layer);
  OGRMultiPolygon parts;
  GeometryValidity validity;
  for (auto& f : *source.layer) {
    std::unique_ptr<OGRGeometry> copy = corrected_geometry(f->GetGeometryRef(), country.datum);
    if (!copy) continue;
    repair_if_invalid(copy, validity);
    std::unique_ptr<OGRGeometry> mp(OGRGeometryFactory::forceToMultiPolygon(copy.release()));
    if (wkbFlatten(mp->getGeometryType()) != wkbMultiPolygon) continue;
    for (const OGRPolygon* p : *mp->toMultiPolygon()) parts.addGeometry(p);
  }
  if (parts.IsEmpty()) throw UserError(country.path + ": the country layer has no polygons");
  std::unique_ptr<OGRGeometry> nation(parts.getNumGeometries() == 1 ? parts.clone() : parts.UnionCascaded());
  if (!nation) throw UserError(country.path + ": the union of the country's polygons failed");

  const std::string temp = temporary_path(path, ".gpkg");
  std::remove(temp.c_str());
  const TemporaryFileGuard remove_on_failure(temp);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  std::unique_ptr<GDALDataset> out(driver->Create(temp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!out) throw UserError(path + ": cannot create the Hu line GeoPackage");
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  OGRLayer* sides = out->CreateLayer("hu_line", &wgs84, wkbMultiPolygon, nullptr);
  OGRFieldDefn side_field("side", OFTString);
  OGRFieldDefn shape_field("shape", OFTString);
  sides->CreateField(&side_field);
  sides->CreateField(&shape_field);
  double areas[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    const bool east = k == 0;
    OGRPolygon half = side_polygon(east);
    std::unique_ptr<OGRGeometry> clipped(nation->Intersection(&half));
    if (!clipped) throw UserError("the Hu line's " + std::string(east ? "east" : "west") + " side could not be clipped to the country");
    OGRFeature f(sides->GetLayerDefn());
    f.SetField("side", east ? "east" : "west");
    f.SetField("shape", line.shape.c_str());
    std::unique_ptr<OGRGeometry> mp(OGRGeometryFactory::forceToMultiPolygon(clipped.release()));
    if (mp->getSpatialReference() == nullptr) mp->assignSpatialReference(&wgs84);
    areas[k] = mp->toMultiPolygon()->get_Area();  // planar degrees², only for the log line
    f.SetGeometry(mp.get());
    if (sides->CreateFeature(&f) != OGRERR_NONE) throw UserError(path + ": cannot write the Hu line's sides");
  }
  out.reset();
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw UserError(path + ": cannot move the Hu line GeoPackage into place");
  }
  return {areas[0], areas[1]};
}

}  // namespace nl

namespace nl {

std::map<std::string, std::string> hu_line_sides_of_zones(const HuLineDefinition& line, const std::string& path,
                                                          const std::string& layer_name, const std::string& id_field,
                                                          Datum datum) {
  configure_gdal();
  const auto v = hu_line_vertices(line);
  OGRLinearRing ring;
  for (const auto& [lon, lat] : v) ring.addPoint(lon, lat);
  ring.addPoint(v.back().first, -89);
  ring.addPoint(179.9, -89);
  ring.addPoint(179.9, 89);
  ring.addPoint(v.front().first, 89);
  ring.closeRings();
  OGRPolygon east;
  east.addRing(&ring);
  const VectorLayer source = open_vector_layer(path, layer_name);
  std::map<std::string, std::string> sides;
  GeometryValidity validity;
  for (auto& f : *source.layer) {
    const std::string id = f->GetFieldAsString(id_field.c_str());
    std::unique_ptr<OGRGeometry> copy = corrected_geometry(f->GetGeometryRef(), datum);
    if (!copy) continue;
    OGREnvelope env;
    copy->getEnvelope(&env);
    const int corners = hu_line_side(v, env.MinX, env.MinY) + hu_line_side(v, env.MinX, env.MaxY) +
                        hu_line_side(v, env.MaxX, env.MinY) + hu_line_side(v, env.MaxX, env.MaxY);
    if (corners == 4 || corners == -4) {  // the whole bounding box on one side
      sides[id] = corners > 0 ? "east" : "west";
      continue;
    }
    repair_if_invalid(copy, validity);
    std::unique_ptr<OGRGeometry> part(copy->Intersection(&east));
    auto area = [](const OGRGeometry* geom) {
      if (!geom) return 0.0;
      const auto t = wkbFlatten(geom->getGeometryType());
      if (t == wkbPolygon || t == wkbMultiPolygon || t == wkbGeometryCollection)
        return OGR_G_Area(OGRGeometry::ToHandle(const_cast<OGRGeometry*>(geom)));
      return 0.0;
    };
    const double total = area(copy.get());
    sides[id] = area(part.get()) * 2 >= total ? "east" : "west";
  }
  return sides;
}

}  // namespace nl
