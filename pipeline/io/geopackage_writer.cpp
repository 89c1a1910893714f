// Writing one level's units and latest table to a GeoPackage.
#include "pipeline/io/geopackage_writer.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

namespace {

OGRFieldType field_type(TypedColumn::Kind kind) {
  switch (kind) {
    case TypedColumn::Kind::text: return OFTString;
    case TypedColumn::Kind::integer: return OFTInteger64;
    case TypedColumn::Kind::real: return OFTReal;
  }
  return OFTString;
}

// Sets field i of `feature` from row r of column c; NaN and empty text stay null.
void set_field(OGRFeature& feature, int i, const TypedColumn& c, size_t r) {
  switch (c.kind) {
    case TypedColumn::Kind::text:
      if (!c.text[r].empty()) feature.SetField(i, c.text[r].c_str());
      break;
    case TypedColumn::Kind::integer: feature.SetField(i, static_cast<GIntBig>(c.integer[r])); break;
    case TypedColumn::Kind::real:
      if (!std::isnan(c.real[r])) feature.SetField(i, c.real[r]);
      break;
  }
}

}  // namespace

void write_level_geopackage(const std::string& path, const std::string& layer_name, std::vector<UnitGeometry>& units,
                            const OGRSpatialReference* srs, const TypedTable& table) {
  configure_gdal();
  const TypedColumn* codes = table.find("code");
  if (!codes || codes->kind != TypedColumn::Kind::text) throw UserError(path + ": the level's table has no code column");
  std::map<std::string, size_t> row_of_code;
  for (size_t r = 0; r < codes->text.size(); ++r) row_of_code[codes->text[r]] = r;  // a repeated code: its last row

  const std::string temp = temporary_path(path, ".gpkg");
  std::remove(temp.c_str());
  const TemporaryFileGuard remove_on_failure(temp);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  if (!driver) throw UserError("GDAL has no GPKG driver; cannot write " + path);
  std::unique_ptr<GDALDataset> ds(driver->Create(temp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw UserError(path + ": cannot create GeoPackage (" + last_gdal_error() + ")");
  OGRSpatialReference* layer_srs = srs ? srs->Clone() : nullptr;
  OGRLayer* layer = ds->CreateLayer(layer_name.c_str(), layer_srs, wkbMultiPolygon, nullptr);
  if (layer_srs) layer_srs->Release();
  if (!layer) throw UserError(path + ": cannot create layer (" + last_gdal_error() + ")");
  for (const TypedColumn& c : table.columns) {
    OGRFieldDefn f(c.name.c_str(), field_type(c.kind));
    layer->CreateField(&f);
  }
  ds->StartTransaction();
  for (auto& unit : units) {
    OGRFeature feature(layer->GetLayerDefn());
    const auto it = row_of_code.find(unit.code);
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (table.columns[i].name == "code") feature.SetField(static_cast<int>(i), unit.code.c_str());
      else if (it != row_of_code.end()) set_field(feature, static_cast<int>(i), table.columns[i], it->second);
    }
    if (unit.geometry) {
      std::unique_ptr<OGRGeometry> g(OGRGeometryFactory::forceToMultiPolygon(unit.geometry.release()));
      feature.SetGeometryDirectly(g.release());
    }
    if (layer->CreateFeature(&feature) != OGRERR_NONE)
      throw UserError(path + ": cannot write feature " + unit.code + " (" + last_gdal_error() + ")");
  }
  ds->CommitTransaction();
  ds.reset();
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw UserError(path + ": cannot move the finished GeoPackage into place");
  }
}

}  // namespace nl
