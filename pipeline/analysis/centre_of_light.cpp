// Distances and bearings of the centre of light between releases, on the WGS84 ellipsoid with
// Karney's geodesics (PROJ's geodesic.h), which hold for any two points (also nearly antipodal).
#include "pipeline/analysis/centre_of_light.hpp"

#include <geodesic.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

// Months since year 0 (so differences of whole months are exact): "2008" → the year's middle,
// "2020-03" → the month's middle, "2020-03-10" → the day's middle (months of 365.25/12 days).
std::optional<double> release_months(const std::string& id) {
  if (id.size() < 4 || !std::isdigit(static_cast<unsigned char>(id[0]))) return std::nullopt;
  try {
    const double year = std::stod(id.substr(0, 4));
    if (id.size() >= 7 && id[4] == '-') {
      const double month = std::stod(id.substr(5, 2));
      if (id.size() >= 10 && id[7] == '-')
        return year * 12 + (month - 1) + (std::stod(id.substr(8, 2)) - 0.5) / (365.25 / 12);
      return year * 12 + (month - 0.5);
    }
    return year * 12 + 6;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct Point {
  std::string release;
  double lon = NAN, lat = NAN;
};

}  // namespace

bool has_centre_of_light_columns(const std::string& header_line) {
  std::string line = header_line.substr(0, header_line.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = split_csv_line(line);
  auto has = [&](const char* c) { return std::find(header.begin(), header.end(), c) != header.end(); };
  return has("light_lon") && has("light_lat");
}

std::string centre_of_light_csv(const std::string& stacked) {
  if (!has_centre_of_light_columns(stacked.substr(0, stacked.find('\n')))) return "";
  const CsvTable t = parse_csv_table(stacked, "panel/gaps.csv", "the gap table", {"release", "group", "light_lon", "light_lat"});
  std::vector<std::string> groups;  // in first appearance
  std::map<std::string, std::vector<Point>> by_group;
  for (const auto& r : t.rows) {
    if (!by_group.count(r.cells[1])) groups.push_back(r.cells[1]);
    Point p{r.cells[0]};
    if (!r.cells[2].empty() && !r.cells[3].empty()) p.lon = std::stod(r.cells[2]), p.lat = std::stod(r.cells[3]);
    by_group[r.cells[1]].push_back(p);
  }
  geod_geodesic g;
  geod_init(&g, 6378137.0, 1 / 298.257223563);
  // Distance (km) and initial bearing (degrees clockwise from north) from a to b.
  auto move = [&g](const Point& a, const Point& b) -> std::pair<double, double> {
    if (std::isnan(a.lon) || std::isnan(b.lon)) return {NAN, NAN};
    double s12 = 0, azi1 = 0, azi2 = 0;
    geod_inverse(&g, a.lat, a.lon, b.lat, b.lon, &s12, &azi1, &azi2);
    return {s12 / 1000, s12 > 0 ? std::fmod(azi1 + 360, 360) : NAN};
  };
  std::string out =
      "group,release,light_lon,light_lat,km_from_previous,bearing_from_previous,km_from_first,bearing_from_first,"
      "years_since_first,mean_km_per_year\n";
  for (const auto& group : groups) {
    const auto& points = by_group[group];
    for (size_t i = 0; i < points.size(); ++i) {
      const Point& p = points[i];
      const auto [dp, bp] = i ? move(points[i - 1], p) : std::pair<double, double>{NAN, NAN};
      const auto [df, bf] = i ? move(points[0], p) : std::pair<double, double>{NAN, NAN};
      const auto t0 = release_months(points[0].release), ti = release_months(p.release);
      const double years = t0 && ti ? (*ti - *t0) / 12 : NAN;
      out += csv_field(group) + "," + csv_field(p.release) + "," + format_number(p.lon) + "," + format_number(p.lat) +
             "," + format_number(dp) + "," + format_number(bp) + "," + format_number(df) + "," + format_number(bf) + "," +
             format_number(years) + "," + format_number(years > 0 ? df / years : NAN) + "\n";
    }
  }
  return out;
}

}  // namespace nl
