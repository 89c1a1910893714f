// io/geometry_validity on the real layers of ../shared/data: its verdict equals OGR's IsValid
// (GEOS) on every feature, and the proof never passes a polygon GEOS rejects — the atlas layers
// carry a few self-intersecting provinces and prefectures on purpose (shared data README).
#include <doctest/doctest.h>
#include <ogrsf_frmts.h>

#include <memory>
#include <string>
#include <vector>

#include "pipeline/io/gdal_env.hpp"
#include "pipeline/io/geometry_validity.hpp"
#include "test_support.hpp"

using namespace nl;
using namespace nl::testsupport;

namespace {

struct LayerVerdicts {
  int features = 0, ogr_valid = 0, proven = 0, disagree = 0, proven_but_invalid = 0;
};

LayerVerdicts verdicts(const std::string& path, const std::string& layer_name) {
  configure_gdal();
  std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset*>(GDALOpenEx(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr)));
  REQUIRE(ds != nullptr);
  OGRLayer* layer = ds->GetLayerByName(layer_name.c_str());
  REQUIRE(layer != nullptr);
  GeometryValidity validity;
  LayerVerdicts v;
  for (auto& feature : *layer) {
    const OGRGeometry* g = feature->GetGeometryRef();
    if (!g) continue;
    ++v.features;
    const bool ogr = g->IsValid(), proven = validity.proven_valid(*g);
    v.ogr_valid += ogr;
    v.proven += proven;
    v.disagree += validity.is_valid(*g) != ogr;
    v.proven_but_invalid += proven && !ogr;
  }
  return v;
}

}  // namespace

TEST_CASE("geometry validity on real layers: same verdict as GEOS, never proven where GEOS says invalid") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found at " << shared_data() << "; skipped");
    return;
  }
  const std::string d = shared_data();
  SUBCASE("China's counties: all valid, all proven without GEOS") {
    const LayerVerdicts v = verdicts(d + "/china-counties/china-counties-amap2020-gcj02.gpkg", "district");
    CHECK(v.features == 2884);
    CHECK(v.ogr_valid == 2884);
    CHECK(v.proven == 2884);
    CHECK(v.disagree == 0);
  }
  for (const char* layer : {"provinces", "prefectures"}) {
    SUBCASE(layer) {
      const LayerVerdicts v = verdicts(d + "/china-atlas/cn-atlas-2023.gpkg", layer);
      MESSAGE(std::string(layer) << ": " << v.features << " features, " << v.ogr_valid << " valid, " << v.proven << " proven");
      CHECK(v.features - v.ogr_valid > 0);  // the trap is there: self-intersections
      CHECK(v.disagree == 0);
      CHECK(v.proven_but_invalid == 0);
      CHECK(v.proven > 0);
    }
  }
  SUBCASE("Mumbai's districts (a shapefile)") {
    const LayerVerdicts v = verdicts(d + "/viirs-monthly-mumbai/mumbai_districts.shp", "mumbai_districts");
    CHECK(v.features > 0);
    CHECK(v.disagree == 0);
    CHECK(v.proven_but_invalid == 0);
  }
}
