// Writing one level's units and latest table to a GeoPackage.
#include "pipeline/io/geopackage_writer.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

void write_level_geopackage(const std::string& path, const std::string& layer_name, std::vector<UnitGeometry>& units,
                            const OGRSpatialReference* srs, const std::string& table_csv) {
  configure_gdal();
  std::istringstream in(table_csv);
  std::string line;
  std::getline(in, line);
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  const std::vector<std::string> header = split_csv_line(line);
  std::map<std::string, std::vector<std::string>> rows;
  size_t code_col = 0;
  while (code_col < header.size() && header[code_col] != "code") ++code_col;
  while (std::getline(in, line)) {
    auto cells = split_csv_line(line);
    if (code_col < cells.size()) rows[cells[code_col]] = std::move(cells);
  }
  // Text for ids and names, integers for counts of units, reals for the statistics.
  auto type_of = [](const std::string& name) {
    if (name == "release" || name == "code") return OFTString;
    if (name == "n_units" || name == "included") return OFTInteger64;
    return OFTReal;
  };
  std::vector<bool> numeric(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    bool all_numbers = true;
    for (const auto& [code, cells] : rows) {
      if (i >= cells.size() || cells[i].empty()) continue;
      char* end = nullptr;
      std::strtod(cells[i].c_str(), &end);
      if (*end != '\0') all_numbers = false;
    }
    numeric[i] = all_numbers && type_of(header[i]) != OFTString;
  }

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
  for (size_t i = 0; i < header.size(); ++i) {
    OGRFieldDefn f(header[i].c_str(), numeric[i] ? type_of(header[i]) : OFTString);
    layer->CreateField(&f);
  }
  ds->StartTransaction();
  for (auto& unit : units) {
    OGRFeature feature(layer->GetLayerDefn());
    const auto it = rows.find(unit.code);
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == "code") {
        feature.SetField(static_cast<int>(i), unit.code.c_str());
      } else if (it != rows.end() && i < it->second.size() && !it->second[i].empty()) {
        feature.SetField(static_cast<int>(i), it->second[i].c_str());
      }
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
