// Every statistic of the registry against a brute-force loop over the covered cells of small
// zones (DW1), merged from random partitions in random groupings (DW2), through the MPI wire
// format, and the README's statistics table against the registry. Adding a statistic: its line
// in kernels/statistics_registry.cpp and its brute-force formula in `brute_force` below.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <numbers>
#include <random>
#include <regex>
#include <set>

#include "kernels/statistics_registry.hpp"

namespace {

struct Cell {
  int row, col;
  double f, x, area;  // x NaN: no data
  double lon, lat;    // the cell's centre (degrees)
};

constexpr double kLit = 2.5;
constexpr double kE2 = 6.69437999014e-3;

// The weighted quantile by sorting the cells: the smallest value whose cumulative weight reaches
// q·W, the middle of it and the next value where the cumulative weight meets q·W exactly.
std::optional<double> sorted_quantile(std::vector<std::pair<double, double>> xw, double q) {
  std::sort(xw.begin(), xw.end());
  std::vector<std::pair<double, double>> distinct;  // equal values pooled: the rule is on the distribution
  for (const auto& [x, w] : xw) {
    if (!distinct.empty() && distinct.back().first == x) distinct.back().second += w;
    else distinct.push_back({x, w});
  }
  double total = 0;
  for (const auto& d : distinct) total += d.second;
  if (distinct.empty() || !(total > 0)) return std::nullopt;
  double c = 0;
  for (size_t i = 0; i < distinct.size(); ++i) {
    c += distinct[i].second;
    if (c >= q * total) return c == q * total && i + 1 < distinct.size() ? (distinct[i].first + distinct[i + 1].first) / 2
                                                                          : distinct[i].first;
  }
  return distinct.back().first;
}

// The centre of cell centres on WGS84, each cell's ECEF point from its own lon/lat.
std::optional<double> brute_centre(const std::vector<Cell>& cells, bool light, bool lat) {
  double X = 0, Y = 0, Z = 0, W = 0;
  for (const auto& c : cells) {
    if (std::isnan(c.x)) continue;
    const double w = c.f * c.area * (light ? std::max(c.x, 0.0) : 1.0);
    const double phi = c.lat * std::numbers::pi / 180, lam = c.lon * std::numbers::pi / 180;
    const double n = 1 / std::sqrt(1 - kE2 * std::sin(phi) * std::sin(phi));
    X += w * n * std::cos(phi) * std::cos(lam);
    Y += w * n * std::cos(phi) * std::sin(lam);
    Z += w * n * (1 - kE2) * std::sin(phi);
    W += w;
  }
  if (!(W > 0)) return std::nullopt;
  return lat ? std::atan2(Z, (1 - kE2) * std::hypot(X, Y)) * 180 / std::numbers::pi : std::atan2(Y, X) * 180 / std::numbers::pi;
}

// One brute-force formula per registry entry (by name; q is the parameter).
using Brute = std::function<std::optional<double>(const std::vector<Cell>&, double q)>;
std::map<std::string, Brute> brute_force() {
  auto total = [](const std::vector<Cell>& cells, auto term) {
    double s = 0;
    for (const auto& c : cells)
      if (!std::isnan(c.x)) s += term(c);
    return s;
  };
  auto one = [](const Cell& c) { return c.f; };
  auto quantile = [](bool by_area) {
    return [by_area](const std::vector<Cell>& cells, double q) {
      std::vector<std::pair<double, double>> xw;
      for (const auto& c : cells)
        if (!std::isnan(c.x)) xw.push_back({c.x, by_area ? c.f * c.area : c.f});
      return sorted_quantile(xw, q);
    };
  };
  auto fixed = [](Brute b, double q) { return [b, q](const std::vector<Cell>& cells, double) { return b(cells, q); }; };
  std::map<std::string, Brute> m;
  m["count"] = [=](const auto& cells, double) -> std::optional<double> { return total(cells, one); };
  m["nodata_count"] = [](const auto& cells, double) -> std::optional<double> {
    double s = 0;
    for (const auto& c : cells) s += std::isnan(c.x) ? c.f : 0;
    return s;
  };
  m["valid_area_km2"] = [=](const auto& cells, double) -> std::optional<double> {
    return total(cells, [](const Cell& c) { return c.f * c.area; });
  };
  m["nodata_area_km2"] = [](const auto& cells, double) -> std::optional<double> {
    double s = 0;
    for (const auto& c : cells) s += std::isnan(c.x) ? c.f * c.area : 0;
    return s;
  };
  m["valid_fraction"] = [=](const auto& cells, double) -> std::optional<double> {
    return *m.at("valid_area_km2")(cells, 0) / (*m.at("valid_area_km2")(cells, 0) + *m.at("nodata_area_km2")(cells, 0));
  };
  m["sum"] = [=](const auto& cells, double) -> std::optional<double> { return total(cells, [](const Cell& c) { return c.f * c.x; }); };
  m["mean"] = [=](const auto& cells, double) -> std::optional<double> { return *m.at("sum")(cells, 0) / *m.at("count")(cells, 0); };
  m["sum_area"] = [=](const auto& cells, double) -> std::optional<double> {
    return total(cells, [](const Cell& c) { return c.f * c.area * c.x; });
  };
  m["mean_area"] = [=](const auto& cells, double) -> std::optional<double> {
    return *m.at("sum_area")(cells, 0) / *m.at("valid_area_km2")(cells, 0);
  };
  m["lit_area_km2"] = [=](const auto& cells, double) -> std::optional<double> {
    return total(cells, [](const Cell& c) { return c.x > kLit ? c.f * c.area : 0.0; });
  };
  m["min"] = [](const auto& cells, double) -> std::optional<double> {
    double v = INFINITY;
    for (const auto& c : cells) if (!std::isnan(c.x)) v = std::min(v, c.x);
    return v;
  };
  m["max"] = [](const auto& cells, double) -> std::optional<double> {
    double v = -INFINITY;
    for (const auto& c : cells) if (!std::isnan(c.x)) v = std::max(v, c.x);
    return v;
  };
  m["stdev"] = [=](const auto& cells, double) -> std::optional<double> {  // two passes
    const double mean = *m.at("mean")(cells, 0);
    return std::sqrt(total(cells, [mean](const Cell& c) { return c.f * (c.x - mean) * (c.x - mean); }) / *m.at("count")(cells, 0));
  };
  m["variance"] = [=](const auto& cells, double) -> std::optional<double> { return std::pow(*m.at("stdev")(cells, 0), 2); };
  m["quantile"] = quantile(false);
  m["median"] = fixed(quantile(false), 0.5);
  m["p10"] = fixed(quantile(false), 0.1);
  m["p25"] = fixed(quantile(false), 0.25);
  m["p75"] = fixed(quantile(false), 0.75);
  m["p90"] = fixed(quantile(false), 0.9);
  m["quantile_area"] = quantile(true);
  m["median_area"] = fixed(quantile(true), 0.5);
  m["light_lon"] = [](const auto& cells, double) { return brute_centre(cells, true, false); };
  m["light_lat"] = [](const auto& cells, double) { return brute_centre(cells, true, true); };
  m["area_lon"] = [](const auto& cells, double) { return brute_centre(cells, false, false); };
  m["area_lat"] = [](const auto& cells, double) { return brute_centre(cells, false, true); };
  return m;
}

// A lon/lat window with a few zones of random cells: each covered cell a run of its own, with a
// dyadic coverage fraction (k/64) and dyadic cell areas, so sums of weights are exact whatever
// their order and the exact quantiles can be compared bit for bit.
struct Scene {
  nl::GridGeometry grid{170.0, 10.0, 0.25, -0.25, 48, 40};  // across the antimeridian (170°E–182°E)
  xt::xtensor<double, 2> raw;
  std::vector<double> row_area;
  std::vector<nl::WindowRun> runs;
  std::vector<std::vector<Cell>> cells;  // per zone
  Scene(uint32_t seed, int zones, bool integer_values) {
    std::mt19937_64 rng(seed);
    raw = xt::xtensor<double, 2>::from_shape({40, 48});
    for (auto& v : raw) {
      const double u = std::uniform_real_distribution<double>(-2, 60)(rng);
      v = integer_values ? std::round(u) : u;
      if (std::uniform_int_distribution<int>(0, 19)(rng) == 0) v = -999;  // no data
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) v = 0;
    }
    for (int r = 0; r < 40; ++r) row_area.push_back(700.0 + 0.5 * r);  // dyadic, so c·A sums are exact
    cells.resize(static_cast<size_t>(zones));
    for (int z = 0; z < zones; ++z) {
      const int n = std::uniform_int_distribution<int>(1, 300)(rng);
      std::set<std::pair<int, int>> taken;
      for (int k = 0; k < n; ++k) {
        const int r = std::uniform_int_distribution<int>(0, 39)(rng), c = std::uniform_int_distribution<int>(0, 47)(rng);
        if (!taken.insert({r, c}).second) continue;
        const double f = std::uniform_int_distribution<int>(1, 64)(rng) / 64.0;
        runs.push_back({static_cast<uint32_t>(z), r, c, c + 1, f});
        const double x = raw(r, c) == -999 ? NAN : raw(r, c);
        cells[z].push_back({r, c, f, x, row_area[r], grid.x_of_col(c + 0.5), grid.y_of_row(r + 0.5)});
      }
    }
  }
  nl::PreprocessOptions preprocess() const {
    nl::PreprocessOptions p;
    p.nodata = -999;
    return p;
  }
  // The accumulators of the runs [begin, end) (grouped by zone as the engine groups them).
  std::vector<nl::ZoneAccumulator> accumulate(std::span<const nl::WindowRun> some, nl::AccumulatorNeeds needs) const {
    const nl::GridCentres centres(grid);
    const nl::CellCentres window = centres.window({0, 0, 40, 48});
    std::vector<std::pair<uint32_t, nl::ZoneAccumulator>> partials;
    nl::accumulate_window(raw, row_area, some, preprocess(), kLit, partials, {needs, &window});
    std::vector<nl::ZoneAccumulator> out(cells.size());
    for (const auto& [z, a] : partials) out[z].merge(a);
    return out;
  }
};

std::vector<nl::Statistic> every_statistic() {
  std::vector<nl::Statistic> all;
  for (const auto& n : nl::statistic_names())
    if (n.find("(q)") == std::string::npos) all.push_back(nl::parse_statistic(n));
  for (const char* q : {"quantile(0)", "quantile(0.05)", "quantile(0.5)", "quantile(0.9)", "quantile(1)",
                        "quantile_area(0.3)", "quantile_area(1)"})
    all.push_back(nl::parse_statistic(q));
  return all;
}

bool sketched(const nl::Statistic& s) { return s.descriptor().needs.sketch; }

}  // namespace

TEST_CASE("statistics registry: every entry has a brute-force formula here, and the README's table lists exactly the registry") {
  const auto brute = brute_force();
  for (const auto& d : nl::statistic_registry()) CHECK_MESSAGE(brute.count(d.name), d.name << " has no brute-force test");
  std::ifstream in(NIGHTLIGHTS_SOURCE_DIR "/README.md");
  std::string line;
  bool inside = false;
  std::set<std::string> documented;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) inside = line == "## Statistics";
    if (!inside || line.rfind("| `", 0) != 0) continue;
    const std::string first = line.substr(2, line.find(" |", 2) - 2);
    const std::regex name("`([^`]+)`");
    for (auto it = std::sregex_iterator(first.begin(), first.end(), name); it != std::sregex_iterator(); ++it)
      documented.insert((*it)[1]);
  }
  const auto names = nl::statistic_names();
  CHECK(documented == std::set<std::string>(names.begin(), names.end()));
  CHECK(nl::default_statistics().size() == 13);  // today's thirteen: existing configs keep their tables
  CHECK(nl::statistic_name(nl::parse_statistic(" quantile( 0.90 ) ")) == "quantile(0.9)");
  CHECK_THROWS_AS(nl::parse_statistic("quantile(1.5)"), std::invalid_argument);
  CHECK_THROWS_AS(nl::parse_statistic("median(0.5)"), std::invalid_argument);
}

TEST_CASE("statistics registry: every statistic equals a brute-force loop over the covered cells to 1e-12 (exact quantiles exactly, sketched within 2^-8)") {
  const auto brute = brute_force();
  for (const bool integer : {true, false}) {
    const Scene s(integer ? 11 : 12, 6, integer);
    const auto acc = s.accumulate(s.runs, {true, true});
    for (size_t z = 0; z < s.cells.size(); ++z) {
      CHECK(acc[z].sketch.exact() == integer);  // integer values: an exact histogram
      for (const auto& st : every_statistic()) {
        INFO("zone " << z << " " << nl::statistic_name(st) << (integer ? " (integer values)" : " (floats)"));
        const auto want = brute.at(st.descriptor().name)(s.cells[z], st.parameter);
        const auto got = nl::statistic_value(acc[z], st);
        REQUIRE(want.has_value() == got.has_value());
        if (!want) continue;
        if (sketched(st) && integer) CHECK(*got == *want);
        else if (sketched(st)) CHECK(std::abs(*got - *want) <= nl::QuantileSketch::kRelativeError * std::abs(*want));
        else CHECK(std::abs(*got - *want) <= 1e-12 * std::max(1.0, std::abs(*want)));
      }
    }
  }
}

TEST_CASE("statistics registry: random partitions of a zone into 1-50 pieces merged in any grouping give the unpartitioned values") {
  std::mt19937_64 rng(5);
  for (const bool integer : {true, false}) {
    const Scene s(integer ? 21 : 22, 3, integer);
    const auto whole = s.accumulate(s.runs, {true, true});
    for (int trial = 0; trial < 20; ++trial) {
      const size_t pieces = std::uniform_int_distribution<size_t>(1, 50)(rng);
      std::vector<std::vector<nl::WindowRun>> piece_runs(pieces);
      for (const auto& r : s.runs) piece_runs[std::uniform_int_distribution<size_t>(0, pieces - 1)(rng)].push_back(r);
      // Each piece accumulated alone (as a window, a thread's tile, a rank or a county would be) …
      std::vector<std::vector<nl::ZoneAccumulator>> parts;
      for (const auto& p : piece_runs) parts.push_back(s.accumulate(p, {true, true}));
      // … then merged pairwise in a random order, like a random tree of merges.
      while (parts.size() > 1) {
        const size_t i = std::uniform_int_distribution<size_t>(0, parts.size() - 1)(rng);
        size_t j = std::uniform_int_distribution<size_t>(0, parts.size() - 2)(rng);
        if (j >= i) ++j;
        for (size_t z = 0; z < s.cells.size(); ++z) parts[i][z].merge(parts[j][z]);
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(j));
      }
      for (size_t z = 0; z < s.cells.size(); ++z)
        for (const auto& st : every_statistic()) {
          INFO("trial " << trial << " pieces " << pieces << " zone " << z << " " << nl::statistic_name(st));
          const auto want = nl::statistic_value(whole[z], st), got = nl::statistic_value(parts[0][z], st);
          REQUIRE(want.has_value() == got.has_value());
          if (!want) continue;
          // Exact histograms and dyadic weights: bit for bit. Log buckets: the same buckets, so
          // within the bound of each other too. Moments: rounding of a different order only.
          if (sketched(st) && integer) CHECK(*got == *want);
          else if (sketched(st)) CHECK(std::abs(*got - *want) <= 2 * nl::QuantileSketch::kRelativeError * std::abs(*want));
          else CHECK(std::abs(*got - *want) <= 1e-12 * std::max(1.0, std::abs(*want)));
        }
    }
  }
}

TEST_CASE("statistics registry: the MPI wire format carries every field and fails loudly on a short record") {
  const Scene s(31, 2, false);
  const auto acc = s.accumulate(s.runs, {true, true});
  std::vector<double> wire;
  for (const auto& a : acc) nl::pack_accumulator(a, wire);
  const double* p = wire.data();
  for (const auto& a : acc) CHECK(nl::unpack_accumulator(p, wire.data() + wire.size()) == a);
  CHECK(p == wire.data() + wire.size());
  const double* q = wire.data();
  CHECK_THROWS_AS(nl::unpack_accumulator(q, wire.data() + 12), std::runtime_error);  // cut inside the sketch
}

TEST_CASE("statistics registry: the quantile rule on a small example, zeros, negatives and no data") {
  nl::SketchBuilder b;
  // Equal weights 1,2,3,4: cumulative 1/4, 2/4 meets 0.5 exactly → the middle of 2 and 3.
  for (double x : {3.0, 1.0, 4.0, 2.0}) b.add(x, 1, 1);
  const auto s = b.finish();
  CHECK(*s.quantile(0.5, false) == 2.5);
  CHECK(*s.quantile(0, false) == 1);      // q = 0: the smallest value
  CHECK(*s.quantile(1, false) == 4);      // q = 1: the largest
  CHECK(*s.quantile(0.3, false) == 2);    // 0.3·4 = 1.2: reached at the second value
  for (double x : {-5.0, 0.0, 0.0}) b.add(x, 0.5, 0.5);
  const auto t = b.finish();
  CHECK(*t.quantile(0.1, false) == -5);   // 0.1·1.5: the first value, negative
  CHECK(*t.quantile(0.9, false) == 0);    // zeros are values like any other
  CHECK_FALSE(nl::QuantileSketch().quantile(0.5, false).has_value());  // no valid cells: undefined
}

TEST_CASE("centre of light: two blobs on the equator across the antimeridian, the answer in closed form") {
  // A lon/lat grid of 0.1° cells from 179°E eastwards over 180° (columns 0–19 span 179°E–181°E
  // = 179°W) and 0.1°S–0.1°N. Blob A: the cells centred at 179.55°E, brightness 3; blob B: the
  // cells centred at 179.45°W (180.55°), brightness 1. Rows ±0.05° are mirror images, so the
  // centre's latitude is 0 and its longitude is atan2(3·sin λA + sin λB, 3·cos λA + cos λB).
  const nl::GridGeometry grid{179.0, 0.1, 0.1, -0.1, 20, 2};
  xt::xtensor<double, 2> raw = xt::zeros<double>({2, 20});
  for (int r = 0; r < 2; ++r) {
    raw(r, 5) = 3;   // 179.55°E
    raw(r, 15) = 1;  // 180.55° = 179.45°W
  }
  const std::vector<double> row_area{123.0, 123.0};  // symmetric rows: equal areas
  const std::vector<nl::WindowRun> runs{{0, 0, 0, 20, 1.0}, {0, 1, 0, 20, 1.0}};
  const nl::GridCentres centres(grid);
  const nl::CellCentres window = centres.window({0, 0, 2, 20});
  std::vector<std::pair<uint32_t, nl::ZoneAccumulator>> partials;
  nl::accumulate_window(raw, row_area, runs, {}, 0, partials, {{false, true}, &window});
  REQUIRE(partials.size() == 1);
  const auto& a = partials[0].second;
  const double rad = std::numbers::pi / 180, la = 179.55 * rad, lb = 180.55 * rad;
  const double want = std::atan2(3 * std::sin(la) + std::sin(lb), 3 * std::cos(la) + std::cos(lb)) / rad;  // 179.80°E
  CHECK(*nl::statistic_value(a, nl::parse_statistic("light_lon")) == doctest::Approx(want).epsilon(1e-12));
  CHECK(std::abs(*nl::statistic_value(a, nl::parse_statistic("light_lat"))) < 1e-12);
  // The valid area spreads evenly over 179°E–179°W: its centre is the antimeridian itself
  // (±180°, never 0°, where a mean of longitudes would put it).
  CHECK(std::abs(std::abs(*nl::statistic_value(a, nl::parse_statistic("area_lon"))) - 180) < 1e-9);
  // A blob alone is its own centre, whatever the ellipsoid: 179.55°E, and its rows' mean latitude 0.
  raw(0, 15) = raw(1, 15) = 0;
  partials.clear();
  nl::accumulate_window(raw, row_area, runs, {}, 0, partials, {{false, true}, &window});
  CHECK(*nl::statistic_value(partials[0].second, nl::parse_statistic("light_lon")) == doctest::Approx(179.55).epsilon(1e-12));
}
