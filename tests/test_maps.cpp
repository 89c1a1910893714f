// Maps without eyes: colour scales and group outlines as math, then the demo run's PNGs read
// back pixel by pixel — size, background, hatching, and a county's pixel against its class.
#include <doctest/doctest.h>

#include <cmath>
#include <utility>

#include "kernels/colour_scale.hpp"
#include "kernels/shared_edges.hpp"
#include "pipeline/pictures/map_canvas.hpp"
#include "pipeline/io/vector_source.hpp"
#include "pipeline/pictures/map_shapes.hpp"
#include "test_support.hpp"

#ifdef NIGHTLIGHTS_WITH_CAIRO
#include <cairo.h>
#include <ogr_geometry.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "pipeline/pictures/map_geometry.hpp"
#include "pipeline/pictures/map_render.hpp"
#include "pipeline/io/zone_layer.hpp"
#endif

using namespace nl::testsupport;

TEST_CASE("colour scale: log classes are ordered, rounded, and a value's class brackets it") {
  std::vector<double> v;
  for (int i = 1; i <= 1000; ++i) v.push_back(0.01 * i * i);
  v.push_back(0), v.push_back(-3);  // ignored: zero and negatives have their own classes
  const nl::ClassScale s = nl::log_light_scale(v, 7);
  REQUIRE(s.breaks.size() == 6);
  REQUIRE(s.colours.size() == 7);
  for (size_t i = 1; i < s.breaks.size(); ++i) CHECK(s.breaks[i] > s.breaks[i - 1]);
  for (double b : s.breaks) CHECK(nl::round_to_two_digits(b) == b);
  CHECK(s.class_of(s.breaks[2]) == 3);
  CHECK(s.class_of(s.breaks[2] * 0.999) == 2);
  CHECK(s.class_of(1e9) == 6);
  // Brighter classes are lighter (the ramp is perceptually ordered).
  for (size_t i = 1; i < s.colours.size(); ++i) {
    const auto lum = [](nl::Rgb c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; };
    CHECK(lum(s.colours[i]) > lum(s.colours[i - 1]));
  }
}

TEST_CASE("colour scale: the diverging scale has 0 as a break and quantile breaks on each side") {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(-0.04 * i), v.push_back(0.01 * i);
  const nl::ClassScale s = nl::diverging_scale(v);
  REQUIRE(s.breaks.size() == 7);
  REQUIRE(s.colours.size() == 8);
  CHECK(s.breaks[3] == 0);
  CHECK(s.breaks.front() == doctest::Approx(-3));  // the 3/4 quantile of the negative side's size
  CHECK(s.breaks.back() == doctest::Approx(0.75));
  CHECK(s.class_of(-1e-9) < s.class_of(0));
  CHECK(s.colours[3] != s.colours[4]);  // either side of 0
}

TEST_CASE("shared edges: two squares' common edge is an outline only between different groups") {
  using nl::GridPoint;
  const std::vector<std::vector<nl::GridRing>> rings{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
                                                      {{{10, 0}, {20, 0}, {20, 10}, {10, 10}}}};
  CHECK(nl::group_outline_segments(rings, {7, 7}).size() == 6);
  CHECK(nl::group_outline_segments(rings, {7, 8}).size() == 7);
  CHECK(nl::group_outline_segments(rings, {-1, -1}).size() == 7);
}

TEST_CASE("map projection: China's extent gets the conventional Albers, elsewhere one from the extent") {
  const auto china = nl::albers_for_extent(73.5, 18.2, 134.8, 53.6);
  CHECK(china.lat_1 == 25);
  CHECK(china.lat_2 == 47);
  CHECK(china.lon_0 == 105);
  const auto india = nl::albers_for_extent(68, 8, 97, 37);
  CHECK(india.lat_1 == doctest::Approx(13));
  CHECK(india.lat_2 == doctest::Approx(32));
  CHECK(india.lon_0 == doctest::Approx(83));  // (68 + 97) / 2 = 82.5 rounds away from zero
}

namespace {
// Snyder (1987), Map Projections — A Working Manual, eqs. 14-12 to 14-19: the ellipsoidal Albers
// forward formulas, written out here so the check does not go through PROJ.
std::pair<double, double> snyder_albers(double lon, double lat, const nl::AlbersParameters& p) {
  const double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f), e = std::sqrt(e2);
  const double d = M_PI / 180;
  auto q = [&](double phi) {
    const double s = std::sin(phi);
    return (1 - e2) * (s / (1 - e2 * s * s) - 1 / (2 * e) * std::log((1 - e * s) / (1 + e * s)));
  };
  auto m = [&](double phi) { return std::cos(phi) / std::sqrt(1 - e2 * std::sin(phi) * std::sin(phi)); };
  const double m1 = m(p.lat_1 * d), m2 = m(p.lat_2 * d), q1 = q(p.lat_1 * d), q2 = q(p.lat_2 * d);
  const double n = (m1 * m1 - m2 * m2) / (q2 - q1), C = m1 * m1 + n * q1;
  const double rho = a * std::sqrt(C - n * q(lat * d)) / n, rho0 = a * std::sqrt(C - n * q(p.lat_0 * d)) / n;
  const double theta = n * (lon - p.lon_0) * d;
  return {rho * std::sin(theta), rho0 - rho * std::cos(theta)};
}
}  // namespace

TEST_CASE("map projection: the Hu line's ends projected through PROJ agree with Snyder's Albers formulas") {
  // The projection and width of a map the run draws: the demo's counties (China's Albers).
  GDALAllRegister();
  const nl::ZoneLayerConfig z{"counties", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples/counties.gpkg", "counties", "adcode", {}, nl::Datum::gcj02, ""};
  const nl::MapShapes shapes = nl::read_map_shapes(z);
  const nl::AlbersParameters& p = shapes.albers;
  CHECK(p.lat_1 == 25);
  const nl::MapProjector projector(p);
  const double map_width = shapes.x_max - shapes.x_min;  // metres
  REQUIRE(map_width > 1e6);
  for (const auto& [lon, lat] : {std::pair{127.49, 50.25}, std::pair{98.49, 25.02}}) {  // Heihe, Tengchong
    const auto [x, y] = projector.project(lon, lat);
    const auto [sx, sy] = snyder_albers(lon, lat, p);
    CHECK(std::fabs(x - sx) < 1e-6 * map_width);
    CHECK(std::fabs(y - sy) < 1e-6 * map_width);
  }
}

#ifdef NIGHTLIGHTS_WITH_CAIRO
namespace {

struct Png {
  cairo_surface_t* s;
  explicit Png(const std::string& path) : s(cairo_image_surface_create_from_png(path.c_str())) {}
  ~Png() { cairo_surface_destroy(s); }
  bool ok() const { return cairo_surface_status(s) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(s); }
  int height() const { return cairo_image_surface_get_height(s); }
  nl::Rgb at(int x, int y) const {
    const unsigned char* row = cairo_image_surface_get_data(s) + static_cast<size_t>(y) * cairo_image_surface_get_stride(s);
    uint32_t px;
    std::memcpy(&px, row + 4 * x, 4);
    return {static_cast<uint8_t>(px >> 16), static_cast<uint8_t>(px >> 8), static_cast<uint8_t>(px)};
  }
  size_t count(nl::Rgb c) const {
    size_t n = 0;
    for (int y = 0; y < height(); ++y)
      for (int x = 0; x < width(); ++x) n += at(x, y) == c;
    return n;
  }
};

// `switch_line`: an extra line under output (e.g. "pictures: false"); `output` gets the run's words.
std::string sample_run(double min_valid_fraction, const std::string& switch_line = "", std::string* output = nullptr) {
  const std::string dir = temp_dir(switch_line.empty() ? "maps-run" : "maps-off-run");
  write_text(dir + "/config.yaml",
             sample_config(dir + "/out", {{"min_valid_fraction: 0.5", "min_valid_fraction: " + std::to_string(min_valid_fraction)},
                                          {"geopackage: []", "geopackage: []" + (switch_line.empty() ? "" : "\n  " + switch_line)}}));
  const auto r = nightlights("run '" + dir + "/config.yaml'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  if (output) *output = r.output;
  return dir + "/out";
}

}  // namespace

TEST_CASE("maps: the demo run draws every level's maps and a county's pixel has its class's legend colour") {
  const std::string out = sample_run(0.9);  // 0.9 leaves coastal counties out: hatched
  const std::string maps = out + "/releases/2008/maps";
  for (const char* level : {"county", "city", "province", "region"})
    for (const char* kind : {"brightness_", "gap_", "lit_share_"}) {
      INFO(kind << level);
      CHECK(fs::exists(maps + "/" + kind + level + ".png"));
    }
  Png png(maps + "/brightness_county.png");
  REQUIRE(png.ok());
  const nl::MapLayout layout;
  CHECK(png.width() == layout.width);
  CHECK(png.height() == layout.height);
  CHECK(png.at(0, 0) == nl::map_colours::background);
  CHECK(png.at(png.width() - 1, png.height() - 1) == nl::map_colours::background);
  CHECK(png.count(nl::map_colours::hatch_line) > 200);  // left-out counties, and the legend's swatch

  // The classes, computed here from the table the run wrote (not from its accumulators).
  std::map<std::string, double> mean;
  std::vector<double> positive;
  {
    const auto lines = csv_lines(out + "/releases/2008/county.csv");
    const auto& h = lines[0];
    const auto col = [&](const char* name) { return std::find(h.begin(), h.end(), name) - h.begin(); };
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i][col("included")] != "1" || lines[i][col("mean_area")].empty()) continue;
      const double v = std::stod(lines[i][col("mean_area")]);
      mean[lines[i][col("code")]] = v;
      if (v > 0) positive.push_back(v);
    }
  }
  const nl::ClassScale scale = nl::log_light_scale(positive);
  // The legend: highest class on top, one 28-pixel row each, swatches 34×22 from legend_left.
  auto legend_colour = [&](int cls) {
    const int row = static_cast<int>(scale.colours.size()) - 1 - cls;
    return png.at(static_cast<int>(layout.legend_left) + 17, static_cast<int>(layout.map_top + 32 + 28 * row + 11));
  };
  for (int c = 0; c < static_cast<int>(scale.colours.size()); ++c) CHECK(legend_colour(c) == scale.colours[c]);

  // The largest included counties: the pixel at a point well inside each.
  GDALAllRegister();
  nl::ZoneLayerConfig z{"counties", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples/counties.gpkg", "counties", "adcode", {}, nl::Datum::gcj02, ""};
  const nl::MapShapes shapes = nl::read_map_shapes(z);
  const nl::MapCanvas canvas = nl::make_canvas(shapes);
  const nl::MapProjector projector(shapes.albers);
  std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset*>(GDALOpenEx(z.path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr)));
  OGRLayer* layer = ds->GetLayerByName("counties");
  std::vector<std::pair<double, std::string>> by_area;
  std::map<std::string, std::unique_ptr<OGRGeometry>> geometry;
  for (auto& f : *layer) {
    const std::string code = f->GetFieldAsString("adcode");
    std::unique_ptr<OGRGeometry> g(f->GetGeometryRef()->clone());
    nl::gcj02_to_wgs84_in_place(g.get());
    if (mean.count(code) && mean[code] > 0) by_area.emplace_back(OGR_G_Area(OGRGeometry::ToHandle(g.get())), code);
    geometry[code] = std::move(g);
  }
  std::sort(by_area.rbegin(), by_area.rend());
  REQUIRE(by_area.size() >= 10);
  std::set<int> classes_seen;
  for (size_t i = 0; i < 10; ++i) {
    const std::string& code = by_area[i].second;
    std::unique_ptr<OGRGeometry> point(OGRGeometry::FromHandle(OGR_G_PointOnSurface(OGRGeometry::ToHandle(geometry[code].get()))));
    REQUIRE(point);
    const OGRPoint& inside = *point->toPoint();
    const auto [x, y] = projector.project(inside.getX(), inside.getY());
    const auto [px, py] = canvas.frame.to_pixel(x, y);
    const int cls = scale.class_of(mean[code]);
    classes_seen.insert(cls);
    INFO("county " << code << " mean_area " << mean[code] << " class " << cls << " at " << px << "," << py);
    CHECK(png.at(static_cast<int>(px), static_cast<int>(py)) == legend_colour(cls));
  }
  CHECK(classes_seen.size() >= 2);  // the check is not one colour everywhere

  // Deterministic: the same tables draw the same bytes (no timestamps in the PNG). The second
  // run draws from the geometry and the borders' coverage the first kept in OUT/panel/.maps,
  // so this also checks that the kept forms draw what the fresh ones drew, to the byte.
  CHECK(fs::exists(out + "/panel/.maps/counties.geometry"));
  CHECK(fs::exists(out + "/panel/.maps/counties.county.borders.mask"));
  CHECK(fs::exists(out + "/panel/.maps/counties.province.outlines.mask"));
  std::map<std::string, std::string> before;
  for (const auto& e : fs::directory_iterator(maps)) before[e.path().filename().string()] = read_file(e.path().string());
  const auto again = nightlights("run -q --force '" + fs::path(out).parent_path().string() + "/config.yaml'");
  REQUIRE(again.exit_code == 0);
  for (const auto& [name, bytes] : before) {
    INFO(name);
    CHECK(read_file(maps + "/" + name) == bytes);
  }
}

TEST_CASE("map geometry: the stored form reads back the same ids, frame and rings; another key or a cut file is refused") {
  GDALAllRegister();
  const nl::ZoneLayerConfig z{"counties", std::string(NIGHTLIGHTS_SOURCE_DIR) + "/samples/counties.gpkg", "counties", "adcode", {}, nl::Datum::gcj02, ""};
  const nl::MapGeometry g = nl::prepare_map_geometry(z);
  REQUIRE(g.ids.size() > 100);
  const std::string key = nl::map_geometry_key(z, "abc");
  const std::string bytes = nl::encode_map_geometry(g, key);
  const auto back = nl::decode_map_geometry(bytes, &key);
  REQUIRE(back);
  CHECK(back->key == key);
  CHECK(back->ids == g.ids);
  CHECK(back->albers.lon_0 == g.albers.lon_0);
  CHECK(back->canvas.frame.scale == g.canvas.frame.scale);  // exact: doubles are kept bit for bit
  CHECK(back->canvas.inset.present == g.canvas.inset.present);
  REQUIRE(back->canvas.rings.size() == g.canvas.rings.size());
  for (size_t p = 0; p < g.canvas.rings.size(); ++p) {
    REQUIRE(back->canvas.rings[p].size() == g.canvas.rings[p].size());
    for (size_t k = 0; k < g.canvas.rings[p].size(); ++k) CHECK(back->canvas.rings[p][k] == g.canvas.rings[p][k]);
  }
  // The edges are made again from the rings: the same table, edge for edge.
  const auto edges = nl::edge_table(back->canvas.rings);
  REQUIRE(edges.size() == g.canvas.edges.size());
  CHECK(edges.back().segment.a == g.canvas.edges.back().segment.a);
  // Another zone file hash, a file cut short, another format: prepared again, never misread.
  const std::string other = nl::map_geometry_key(z, "abd");
  CHECK_FALSE(nl::decode_map_geometry(bytes, &other));
  CHECK_FALSE(nl::decode_map_geometry(bytes.substr(0, bytes.size() - 3), nullptr));
  CHECK_FALSE(nl::decode_map_geometry("not geometry", nullptr));
}

TEST_CASE("maps: output.pictures false writes the tables and no maps, charts or report") {
  std::string words;
  const std::string out = sample_run(0.5, "pictures: false", &words);
  CHECK(fs::exists(out + "/releases/2008/county.csv"));
  CHECK_FALSE(fs::exists(out + "/releases/2008/maps"));
  CHECK_FALSE(fs::exists(out + "/panel/charts"));
  CHECK_FALSE(fs::exists(out + "/report.html"));
  CHECK_FALSE(fs::exists(out + "/panel/.maps"));  // no map geometry prepared either
  CHECK(words.find("deprecated") == std::string::npos);
}

TEST_CASE("maps: the old name output.maps still switches pictures off, with a deprecation warning") {
  std::string words;
  const std::string out = sample_run(0.5, "maps: false", &words);
  CHECK(fs::exists(out + "/releases/2008/county.csv"));
  CHECK_FALSE(fs::exists(out + "/releases/2008/maps"));
  CHECK(words.find("output.maps is deprecated; call it output.pictures") != std::string::npos);
}
#endif

#ifdef NIGHTLIGHTS_WITH_CAIRO
TEST_CASE("maps: with a population table every level made of its units gets a light-per-person map, listed in the report") {
  const std::string dir = temp_dir("maps-population");
  // A population for every sample county but the first (which the map must hatch), read from the
  // county table of a first run so the codes are the layer's.
  const std::string plain = sample_run(0.5);
  CHECK_FALSE(fs::exists(plain + "/releases/2008/maps/light_per_person_county.png"));  // no table, no map
  const auto counties = csv_lines(plain + "/releases/2008/county.csv");
  const auto code = std::find(counties[0].begin(), counties[0].end(), "code") - counties[0].begin();
  std::string table = "code,population\n";
  for (size_t i = 2; i < counties.size(); ++i) table += counties[i][code] + "," + std::to_string(1000 * (i % 97 + 1)) + "\n";
  write_text(dir + "/population.csv", table);
  write_text(dir + "/config.yaml", sample_config(dir + "/out", {{"output:", "population: {table: " + dir + "/population.csv}\noutput:"}}));
  const auto r = nightlights("run -q '" + dir + "/config.yaml'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* level : {"county", "city", "province", "region"}) {
    INFO(level);
    CHECK(fs::exists(dir + "/out/releases/2008/maps/light_per_person_" + std::string(level) + ".png"));
  }
  const std::string page = read_file(dir + "/out/report.html");
  CHECK(page.find("maps/light_per_person_county.png") != std::string::npos);
}
#endif
