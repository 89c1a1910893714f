// Charts without eyes: a constant series draws a horizontal line (a scan of the pixels of its
// colour), and a rising one rises.
#include <doctest/doctest.h>

#ifdef NIGHTLIGHTS_WITH_CAIRO
#include <cairo.h>

#include <cmath>
#include <cstring>

#include "pipeline/pictures/line_chart.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

// Mean row of the pixels of `c` in each column of the plot box (NaN where the colour is absent).
std::vector<double> rows_of_colour(const std::string& path, nl::Rgb c, const nl::ChartLayout& l) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
  const unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  std::vector<double> out;
  for (int x = static_cast<int>(l.left) + 2; x < static_cast<int>(l.right) - 2; ++x) {
    double sum = 0;
    int n = 0;
    for (int y = static_cast<int>(l.top) + 1; y < static_cast<int>(l.bottom); ++y) {
      uint32_t px;
      std::memcpy(&px, data + static_cast<size_t>(y) * stride + 4 * x, 4);
      if (nl::Rgb{static_cast<uint8_t>(px >> 16), static_cast<uint8_t>(px >> 8), static_cast<uint8_t>(px)} == c)
        sum += y, ++n;
    }
    out.push_back(n ? sum / n : NAN);
  }
  cairo_surface_destroy(s);
  return out;
}

}  // namespace

TEST_CASE("charts: a constant series is a horizontal line and a rising one rises, on a log axis") {
  const std::string dir = temp_dir("charts");
  nl::LineChart c;
  c.title = "test";
  c.y_label = "mean_area (DN)";
  c.log_y = true;
  for (int i = 0; i < 24; ++i) c.x_labels.push_back("2020-" + std::to_string(i));
  c.series.push_back({"constant", std::vector<double>(24, 5.0)});
  c.series.push_back({"rising", {}});
  for (int i = 0; i < 24; ++i) c.series[1].y.push_back(0.5 * std::pow(1.2, i));
  const nl::ChartLayout layout;
  nl::draw_line_chart_png(dir + "/chart.png", c, layout);

  const auto flat = rows_of_colour(dir + "/chart.png", nl::chart_colour(0), layout);
  double lo = 1e9, hi = -1e9;
  size_t seen = 0;
  for (double r : flat)
    if (!std::isnan(r)) lo = std::min(lo, r), hi = std::max(hi, r), ++seen;
  CHECK(seen > flat.size() * 9 / 10);  // drawn across the plot
  CHECK(hi - lo < 1.0);                // horizontal to a pixel

  const auto rising = rows_of_colour(dir + "/chart.png", nl::chart_colour(1), layout);
  double first = NAN, last = NAN;
  for (double r : rising)
    if (!std::isnan(r)) { if (std::isnan(first)) first = r; last = r; }
  CHECK(last < first - 100);  // up the image
}
#endif
