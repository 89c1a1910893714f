// Zone-id checks before a run: attributes only, geometries are not read.
#include "pipeline/io/zone_checks.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <map>
#include <memory>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/vector_source.hpp"

namespace nl {

namespace {

std::string trimmed(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

void check_layer(const ZoneLayerConfig& z) {
  std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset*>(
      GDALOpenEx(z.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
  if (!ds || ds->GetLayerCount() == 0) return;
  OGRLayer* layer = z.layer.empty() ? ds->GetLayer(0) : ds->GetLayerByName(z.layer.c_str());
  if (!layer) return;
  if (layer->GetFeatureCount(TRUE) == 0)
    throw UserError(z.path + ": layer '" + std::string(layer->GetName()) + "' of zones." + z.name +
                    " has no features");
  const int id_index = layer->GetLayerDefn()->GetFieldIndex(z.id_field.c_str());
  if (id_index < 0) return;
  read_only_fields(layer, {z.id_field}, false);
  // Ids by their trimmed form: "4101" and "4101 " would be two units of one county.
  std::map<std::string, std::pair<std::string, size_t>> seen;
  size_t index = 0;
  for (auto& feature : *layer) {
    ++index;
    if (!feature->IsFieldSetAndNotNull(id_index)) continue;  // the zone reader names it
    const std::string id = feature->GetFieldAsString(id_index);
    const std::string key = trimmed(id);
    if (key.empty())
      throw UserError(z.path + ": feature " + std::to_string(index) + " has an empty id in field '" + z.id_field +
                      "'; every zone needs an id");
    const auto [it, fresh] = seen.emplace(key, std::make_pair(id, index));
    if (!fresh && it->second.first != id)
      throw UserError(z.path + ": ids '" + it->second.first + "' (feature " + std::to_string(it->second.second) +
                      ") and '" + id + "' (feature " + std::to_string(index) + ") in field '" + z.id_field +
                      "' differ only by surrounding spaces; fix the layer so that each unit has one id");
  }
}

}  // namespace

void check_zone_ids(const std::vector<ZoneLayerConfig>& zones) {
  for (const auto& z : zones) check_layer(z);
}

}  // namespace nl
