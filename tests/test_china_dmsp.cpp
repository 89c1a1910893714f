// End to end on real data: the China DMSP 5′ raster × the 2,884 counties, summed by province,
// against a run on the independent atlas provinces.
#include <doctest/doctest.h>

#include <map>

#include "test_support.hpp"

using namespace nl::testsupport;

namespace {
std::vector<std::vector<std::string>> csv_rows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cur;
    for (char c : line) {
      if (c == ',') {
        cells.push_back(cur);
        cur.clear();
      } else cur += c;
    }
    cells.push_back(cur);
    rows.push_back(cells);
  }
  return rows;
}
}  // namespace

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

  const auto counties = csv_rows(dir + "/counties.csv");
  CHECK(counties.size() == 2884 + 1);  // one row per county plus the header
  std::map<std::string, double> by_province;
  for (size_t i = 1; i < counties.size(); ++i) by_province[counties[i][1]] += std::stod(counties[i][3]);
  const auto provinces = csv_rows(dir + "/provinces.csv");
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
