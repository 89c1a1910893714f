// End to end on real data: the China DMSP 5′ raster × the 2,884 counties, summed by province,
// against a run on the independent atlas provinces.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "kernels/quantile_sketch.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;


TEST_CASE("china dmsp: county sums by province agree with atlas provinces (1 % national, 6 % per province)") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found at " << shared_data() << "; skipped");
    return;
  }
  const std::string dir = temp_dir("china-dmsp");
  const std::string d = shared_data();
  const std::string raster = d + "/china-dmsp/china-dmsp-harmonized-2008-5arcmin.tif";
  auto rc = nightlights("zonal -q -r " + raster + " -p " + d +
                        "/china-counties/china-counties-amap2020-gcj02.gpkg -f adcode --include pradcode -s count,sum -o " +
                        dir + "/counties.csv");
  REQUIRE_MESSAGE(rc.exit_code == 0, rc.output);
  auto rp = nightlights("zonal -q -r " + raster + " -p " + d + "/china-atlas/cn-atlas-2023.gpkg -l provinces -f 区划码 -s count,sum -o " +
                        dir + "/provinces.csv");
  REQUIRE_MESSAGE(rp.exit_code == 0, rp.output);

  const auto counties = csv_lines(dir + "/counties.csv");
  CHECK(counties.size() == 2884 + 1);  // one row per county plus the header
  std::map<std::string, double> by_province;
  for (size_t i = 1; i < counties.size(); ++i) by_province[counties[i][1]] += std::stod(counties[i][3]);
  const auto provinces = csv_lines(dir + "/provinces.csv");
  double national_counties = 0, national_atlas = 0;
  int compared = 0;
  for (size_t i = 1; i < provinces.size(); ++i) {
    const std::string code = provinces[i][0];
    const std::string pp = code.substr(0, 2);
    if (pp == "71" || pp == "81" || pp == "82") continue;  // Taiwan, Hong Kong, Macau: not mainland
    const double atlas = std::stod(provinces[i][2]);
    REQUIRE(by_province.count(code));
    INFO("province " << code);
    CHECK(std::abs(by_province[code] / atlas - 1) < 0.06);
    national_counties += by_province[code];
    national_atlas += atlas;
    ++compared;
  }
  CHECK(compared == 31);
  CHECK(std::abs(national_counties / national_atlas - 1) < 0.01);
}

TEST_CASE("china dmsp run: merged city accumulators equal zonal statistics on the GEOS union of their counties") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found at " << shared_data() << "; skipped");
    return;
  }
  const std::string dir = temp_dir("china-dmsp-run");
  const std::string d = shared_data();
  const std::string raster = d + "/china-dmsp/china-dmsp-harmonized-2008-5arcmin.tif";
  write_text(dir + "/config.yaml", "releases:\n  files: " + raster +
                                       "\n  pattern: \"china-dmsp-harmonized-{year}-5arcmin.tif\"\n  units: DN\n"
                                       "zones:\n  counties:\n    path: " + d +
                                       "/china-counties/china-counties-amap2020-gcj02.gpkg\n    layer: district\n"
                                       "    id_field: adcode\n    fields: [ctadcode, pradcode]\n    datum: gcj02\n"
                                       "levels:\n  - {name: county, zones: counties}\n"
                                       "  - {name: city, from: county, key: ctadcode}\n"
                                       "  - {name: province, from: county, key: pradcode}\n"
                                       "  - {name: region, from: province, key: \"id[0:2]\", lookup: " NIGHTLIGHTS_SOURCE_DIR
                                       "/configs/china-regions.yaml}\n"
                                       "stats: [count, sum, mean_area, min, max, stdev, median, p90]\nmin_valid_fraction: 0.5\n"
                                       "hu_line: {definition: " NIGHTLIGHTS_SOURCE_DIR "/configs/hu-line.yaml, country: {path: " +
                                       d + "/china-atlas/cn-atlas-2023.gpkg, layer: nation}}\n"
                                       "inequality: {levels: [county, city], groupings: [region, hu_line]}\n"
                                       "output:\n  directory: " + dir + "/out\n  geopackage: [city]\n");
  auto run = nightlights("run -q " + dir + "/config.yaml");
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  // The city GeoPackage holds each city as the GEOS union of its (GCJ-02-corrected) counties.
  auto zonal = nightlights("zonal -q -r " + raster + " -p " + dir + "/out/city.gpkg -f code -s count,sum,stdev,min,max,median,p90 -o " +
                           dir + "/union.csv");
  REQUIRE_MESSAGE(zonal.exit_code == 0, zonal.output);

  const auto merged = csv_lines(dir + "/out/releases/2008/city.csv");
  const auto direct = csv_lines(dir + "/union.csv");
  REQUIRE(merged.size() == 373);  // 372 prefecture-level units + header
  REQUIRE(direct.size() == 373);
  auto column = [&](const char* name) {
    const auto& h = merged[0];
    return static_cast<size_t>(std::find(h.begin(), h.end(), name) - h.begin());
  };
  const size_t n_units = column("n_units"), count = column("count"), sum = column("sum"), min = column("min"),
               max = column("max"), stdev = column("stdev"), median = column("median"), p90 = column("p90");
  REQUIRE(stdev < merged[0].size());
  std::map<std::string, std::vector<std::string>> by_code;
  for (size_t i = 1; i < merged.size(); ++i) by_code[merged[i][1]] = merged[i];
  int agree = 0, quantiles_agree = 0;
  std::map<std::string, bool> named;
  for (size_t i = 1; i < direct.size(); ++i) {
    const auto& z = direct[i];  // code,count,sum,stdev,min,max,median,p90
    const auto& m = by_code.at(z[0]);
    auto close = [](const std::string& a, const std::string& b) {
      if (a.empty() || b.empty()) return a == b;
      const double x = std::stod(a), y = std::stod(b);
      return std::abs(x - y) <= 1e-9 * std::max(std::abs(y), 1e-300);
    };
    const bool same = close(z[1], m[count]) && close(z[2], m[sum]) && close(z[3], m[stdev]) && z[4] == m[min] &&
                      z[5] == m[max];
    agree += same;
    named[z[0]] = same;
    // The city's median and p90 from its counties' merged sketches against the sketch of the
    // union: the same distribution, so within the sketch's bound of each other (2 × 2^-8).
    auto within_bound = [](const std::string& a, const std::string& b) {
      if (a.empty() || b.empty()) return a == b;
      return std::abs(std::stod(a) - std::stod(b)) <= 2 * nl::QuantileSketch::kRelativeError * std::abs(std::stod(b));
    };
    quantiles_agree += within_bound(m[median], z[6]) && within_bound(m[p90], z[7]);
  }
  // Hangzhou (13 counties), Chengdu (20) and Urumqi (8): count, sum, stdev to 1e-9, min and max exact.
  CHECK(std::stoi(by_code.at("330100")[n_units]) == 13);
  CHECK(named.at("330100"));
  CHECK(named.at("510100"));
  CHECK(named.at("650100"));
  // All but units whose county polygons overlap (Macau's) agree: measured 371 of 372.
  CHECK(agree >= 370);
  CHECK(quantiles_agree >= 370);

  const auto gaps = csv_lines(dir + "/out/releases/2008/gaps.csv");
  std::map<std::string, std::vector<std::string>> group;
  for (size_t i = 1; i < gaps.size(); ++i) group[gaps[i][1]] = gaps[i];
  for (const char* g : {"East", "Central", "West", "Northeast", "all", "other"}) CHECK(group.count(g));
  // East is brighter than West per km² (the classic gap): ratio measured 14.5 on this raster.
  const double ratio = std::stod(group.at("East")[12]);
  CHECK(ratio > 10);
  CHECK(ratio < 20);
  CHECK(group.at("other")[2] == "0");  // Taiwan, Hong Kong, Macau are reported, not compared

  // The Hu line (geodesic): about 44 % of the area east of it (DESIGN.md), measured 44.05 %.
  const auto hu = csv_lines(dir + "/out/releases/2008/hu_line.csv");
  REQUIRE(hu.size() == 4);
  CHECK(hu[1][1] == "east");
  CHECK(hu[1][2] == "geodesic");
  const double east_area_share = std::stod(hu[1][6]), east_light_share = std::stod(hu[1][9]);
  CHECK(east_area_share > 0.42);
  CHECK(east_area_share < 0.46);
  CHECK(east_light_share > 0.85);  // measured 91.0 %
  CHECK(std::stod(hu[3][6]) == doctest::Approx(1.0));

  // Inequality at county and city level by region and by Hu line; decompositions add up, and
  // counties are more unequal than cities.
  const auto ineq = csv_lines(dir + "/out/releases/2008/inequality.csv");
  std::map<std::string, double> gini;
  int decompositions = 0;
  for (size_t i = 1; i < ineq.size(); ++i) {
    const auto& r = ineq[i];  // release,level,grouping,measure,group,value,within,between,...
    if (r[4] != "all") continue;
    if (r[3] == "gini") gini[r[1] + "/" + r[2]] = std::stod(r[5]);
    if (r[3] == "theil_t" || r[3] == "theil_l" || r[3] == "var_log") {
      CHECK(std::stod(r[6]) + std::stod(r[7]) == doctest::Approx(std::stod(r[5])).epsilon(1e-12));
      ++decompositions;
    }
  }
  CHECK(decompositions == 12);  // 3 measures × 2 levels × 2 groupings
  CHECK(gini.at("county/region") > gini.at("city/region"));
  CHECK(gini.at("county/hu_line") == gini.at("county/region"));  // the grouping does not change the total
}

TEST_CASE("china dmsp run: the straight lon/lat Hu line leaves about 38 % of the area east") {
  if (!have_shared_data()) {
    MESSAGE("shared data not found at " << shared_data() << "; skipped");
    return;
  }
  const std::string dir = temp_dir("china-dmsp-straight");
  const std::string d = shared_data();
  write_text(dir + "/config.yaml",
             "releases:\n  files: " + d + "/china-dmsp/china-dmsp-harmonized-2008-5arcmin.tif\n"
             "  pattern: \"china-dmsp-harmonized-{year}-5arcmin.tif\"\n  units: DN\n"
             "zones:\n  counties: {path: " + d + "/china-counties/china-counties-amap2020-gcj02.gpkg, layer: district,"
             " id_field: adcode, datum: gcj02}\n"
             "levels:\n  - {name: county, zones: counties}\n"
             "hu_line: {definition: " NIGHTLIGHTS_SOURCE_DIR "/configs/hu-line.yaml, shape: straight-lonlat, country: {path: " +
             d + "/china-atlas/cn-atlas-2023.gpkg, layer: nation}}\n"
             "output: {directory: " + dir + "/out}\n");
  auto run = nightlights("run -q " + dir + "/config.yaml");
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const auto hu = csv_lines(dir + "/out/releases/2008/hu_line.csv");
  REQUIRE(hu.size() == 4);
  CHECK(hu[1][2] == "straight-lonlat");
  const double share = std::stod(hu[1][6]);  // measured 37.9 %
  CHECK(share > 0.36);
  CHECK(share < 0.40);
}
