// The report page and the charts without eyes: the demo run's report.html, maps and charts
// rebuilt by `nightlights report OUT` to the byte, a second run giving the same bytes, the page rendered by
// headless Chromium with every picture loaded, and a 24-month India series (shared data) drawing
// every chart over releases.
#include <doctest/doctest.h>

#ifdef NIGHTLIGHTS_WITH_CAIRO
#include <cairo.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

// Every picture and page the drawing writes, by path relative to OUT, with its bytes.
std::map<std::string, std::string> pictures(const std::string& out) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    const std::string rel = fs::relative(e.path(), out).generic_string();
    if (e.is_regular_file() && (e.path().extension() == ".png" || rel == "report.html")) files[rel] = read_file(e.path().string());
  }
  return files;
}

std::string demo_run(const std::string& name) {
  const std::string dir = temp_dir(name);
  write_text(dir + "/config.yaml",
             sample_config(dir + "/out", {{"output:", "inequality: {levels: [county, city], groupings: [region]}\noutput:"}}));
  const auto r = nightlights("run -q '" + dir + "/config.yaml'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return dir + "/out";
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("report: the demo run writes report.html, and `nightlights report OUT` and a second run redraw it byte for byte") {
  const std::string out = demo_run("report-demo");
  const auto first = pictures(out);
  REQUIRE(first.count("report.html"));
  const std::string& page = first.at("report.html");
  // One release: 4 levels × 3 maps, the Lorenz curves, no chart over releases (the page says why).
  CHECK(count(page, "<img ") == 4 * 3 + 1);
  CHECK(first.count("panel/charts/lorenz.png"));
  CHECK_FALSE(first.count("panel/charts/brightness_by_group.png"));
  CHECK(page.find("one release so far, so no time axis yet") != std::string::npos);
  CHECK(page.find("as bright per km² as West") != std::string::npos);  // the gap sentences
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("http") == std::string::npos);  // nothing fetched from the network
  // Every picture the page shows is a file in OUT.
  for (size_t at = page.find("<img src=\""); at != std::string::npos; at = page.find("<img src=\"", at + 1)) {
    const size_t from = at + 10, to = page.find('"', from);
    CHECK(fs::exists(out + "/" + page.substr(from, to - from)));
  }

  // The command rebuilds maps, charts and page from the folder alone, to the byte: the maps from
  // the levels record, the maps' inputs and the geometry kept in panel/.maps (the borders'
  // coverage removed too, so it is stroked again from that geometry).
  fs::remove_all(out + "/panel/charts");
  fs::remove(out + "/report.html");
  size_t maps_removed = 0;
  for (const auto& e : fs::directory_iterator(out + "/releases/2008/maps"))
    if (e.path().extension() == ".png") fs::remove(e.path()), ++maps_removed;
  CHECK(maps_removed == 4 * 3);
  for (const auto& e : fs::directory_iterator(out + "/panel/.maps"))
    if (e.path().extension() == ".mask") fs::remove(e.path());
  const auto r = nightlights("report '" + out + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("report.html") != std::string::npos);
  CHECK(r.output.find("the maps of 1 release(s) redrawn") != std::string::npos);
  const auto rebuilt = pictures(out);
  CHECK(rebuilt.size() == first.size());
  for (const auto& [path, bytes] : first) {
    INFO(path);
    CHECK((rebuilt.count(path) && rebuilt.at(path) == bytes));
  }

  // A second run of the same tables draws the same bytes (no time in any picture or the page).
  const auto again = nightlights("run -q --force '" + fs::path(out).parent_path().string() + "/config.yaml'");
  REQUIRE(again.exit_code == 0);
  const auto second = pictures(out);
  CHECK(second.size() == first.size());
  for (const auto& [path, bytes] : first) {
    INFO(path);
    CHECK((second.count(path) && second.at(path) == bytes));
  }
}

TEST_CASE("report: `nightlights report` on a folder without a finished run says so") {
  const std::string dir = temp_dir("report-empty");
  const auto r = nightlights("report '" + dir + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("no finished release here") != std::string::npos);
}

TEST_CASE("report: headless Chromium renders report.html, not blank, every picture loaded") {
  const char* chromium = "/usr/bin/chromium";
  if (!fs::exists(chromium)) {
    MESSAGE("chromium not installed (scripts/setup installs it): skipped");
    return;
  }
  const std::string out = demo_run("report-chromium");
  // A copy of the page beside it (same relative paths) with one script that, after load, writes
  // how many images decoded into the DOM; --dump-dom prints the DOM after the load event.
  std::string page = read_file(out + "/report.html");
  const std::string probe =
      "<script>window.addEventListener('load',()=>{const i=[...document.images];"
      "document.body.setAttribute('data-images',i.length);"
      "document.body.setAttribute('data-loaded',i.filter(x=>x.complete&&x.naturalWidth>0).length);});</script>";
  page.insert(page.rfind("</body>"), probe);
  write_text(out + "/report-probe.html", page);
  const std::string flags = std::string("'") + chromium + "' --headless --no-sandbox --disable-gpu --allow-file-access-from-files "
                            "--virtual-time-budget=10000 --user-data-dir='" + temp_dir("chromium-profile") + "' ";
  const auto dom = run(flags + "--dump-dom 'file://" + out + "/report-probe.html' 2>/dev/null");
  REQUIRE(dom.exit_code == 0);
  const auto attribute = [&](const std::string& name) {
    const size_t at = dom.output.find(name + "=\"");
    return at == std::string::npos ? -1 : std::stoi(dom.output.substr(at + name.size() + 2));
  };
  const int images = attribute("data-images");
  CHECK(images == 13);  // 12 maps and the Lorenz curves, as the page lists them
  CHECK(attribute("data-loaded") == images);

  // The screenshot of the first screen: the page's light background, dark text and a map or two.
  const std::string shot = temp_dir("chromium-shot") + "/shot.png";
  const auto s = run(flags + "--window-size=1280,2400 --screenshot='" + shot + "' 'file://" + out + "/report.html' 2>/dev/null");
  REQUIRE(s.exit_code == 0);
  cairo_surface_t* png = cairo_image_surface_create_from_png(shot.c_str());
  REQUIRE(cairo_surface_status(png) == CAIRO_STATUS_SUCCESS);
  const int w = cairo_image_surface_get_width(png), h = cairo_image_surface_get_height(png);
  const unsigned char* data = cairo_image_surface_get_data(png);
  std::set<uint32_t> colours;
  size_t dark = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint32_t px;
      std::memcpy(&px, data + static_cast<size_t>(y) * cairo_image_surface_get_stride(png) + 4 * x, 4);
      colours.insert(px & 0xffffff);
      dark += ((px >> 16) & 0xff) < 40 && ((px >> 8) & 0xff) < 40 && (px & 0xff) < 60;
    }
  cairo_surface_destroy(png);
  CHECK(colours.size() > 200);               // text, tables and a map's classes, not one colour
  CHECK(dark > static_cast<size_t>(w) * h / 20);  // the maps' dark background: pictures are drawn
}

namespace {

// A grid of rows × cols square-ish zones over a raster's extent, grouped by column thirds
// (g0 west … g2 east), as GeoJSON.
void write_grid_zones(const std::string& raster, const std::string& path, int rows, int cols) {
  nl::configure_gdal();
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(raster.c_str(), GA_ReadOnly));
  REQUIRE(ds != nullptr);
  double gt[6];
  REQUIRE(ds->GetGeoTransform(gt) == CE_None);
  const double x0 = gt[0], y0 = gt[3], x1 = gt[0] + gt[1] * ds->GetRasterXSize(), y1 = gt[3] + gt[5] * ds->GetRasterYSize();
  GDALClose(ds);
  std::ostringstream s;
  s.precision(17);
  s << "{\"type\":\"FeatureCollection\",\"features\":[";
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double xa = x0 + (x1 - x0) * c / cols, xb = x0 + (x1 - x0) * (c + 1) / cols;
      const double ya = y0 + (y1 - y0) * r / rows, yb = y0 + (y1 - y0) * (r + 1) / rows;
      s << (r || c ? "," : "") << "{\"type\":\"Feature\",\"properties\":{\"id\":\"z" << r << "_" << c << "\",\"group\":\"g"
        << 3 * c / cols << "\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[" << xa << "," << ya << "],[" << xb << ","
        << ya << "],[" << xb << "," << yb << "],[" << xa << "," << yb << "],[" << xa << "," << ya << "]]]}}";
    }
  s << "]}";
  write_text(path, s.str());
}

}  // namespace

TEST_CASE("report: 24 India months (shared data) draw every chart over releases, on a balanced panel of dozens of zones") {
  const std::string raster_dir = shared_data() + "/viirs-monthly-india/raster";
  if (!fs::exists(raster_dir + "/viirs_ayodhya_2019_01.tif")) {
    MESSAGE("shared data (viirs-monthly-india) not found: skipped; set NIGHTLIGHTS_SHARED_DATA");
    return;
  }
  const std::string dir = temp_dir("report-india");
  fs::create_directories(dir + "/rel");
  for (int i = 0; i < 24; ++i) {  // 2019-01 … 2020-12: every month observed
    const std::string name = "viirs_ayodhya_" + std::to_string(2019 + i / 12) + "_" + (i % 12 < 9 ? "0" : "") + std::to_string(i % 12 + 1) + ".tif";
    fs::create_symlink(raster_dir + "/" + name, dir + "/rel/" + name);
  }
  write_grid_zones(raster_dir + "/viirs_ayodhya_2019_01.tif", dir + "/zones.geojson", 6, 6);
  write_text(dir + "/india.yaml", "releases:\n  files: " + dir + "/rel/viirs_ayodhya_*.tif\n"
             "  pattern: \"viirs_ayodhya_{year}_{month}.tif\"\n  units: nW/cm2/sr\n"
             "preprocess: {negatives: zero}\n"
             "zones:\n  z: {path: " + dir + "/zones.geojson, id_field: id, fields: [group]}\n"
             "levels:\n  - {name: zone, zones: z}\n  - {name: group, from: zone, key: group}\n"
             "gaps: {level: zone, region_level: group, reference: g2, groups: [g0, g1, g2], west: g0}\n"
             "inequality: {levels: [zone], groupings: [region]}\n"
             "convergence: {levels: [zone], region_dummies: false}\n"
             "output: {directory: " + dir + "/out}\n");
  const auto r = nightlights("run -q '" + dir + "/india.yaml'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::string out = dir + "/out";
  for (const char* chart : {"brightness_by_group", "inequality", "sigma_convergence", "beta_convergence_zone", "lorenz"}) {
    INFO(chart);
    CHECK(fs::exists(out + "/panel/charts/" + std::string(chart) + ".png"));
  }
  const std::string page = read_file(out + "/report.html");
  CHECK(page.find("no time axis") == std::string::npos);
  // The balanced panel: the 36 zones, each lit in every month (the fit's n in the β legend).
  const auto growth = csv_lines(out + "/panel/growth_zone.csv");
  CHECK(growth.size() == 36 + 1);
  // `report` redraws the same charts from the folder.
  const auto before = pictures(out);
  REQUIRE(nightlights("report '" + out + "'").exit_code == 0);
  CHECK(pictures(out) == before);
}

#endif
