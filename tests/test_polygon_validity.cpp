// The validity proof (kernels/polygon_validity) against known verdicts and against GEOS: it may
// fail to prove a valid polygon, but must never prove an invalid one. Orientation signs are
// checked against exact integer arithmetic on coordinates where doubles round.
#include <doctest/doctest.h>
#include <geos_c.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "kernels/polygon_validity.hpp"

namespace {

using Points = std::vector<std::pair<double, double>>;  // a ring, closed by the helper below
using Polygon = std::vector<Points>;                      // exterior first, then holes

nl::FlatPolygons flat(const std::vector<Polygon>& polygons, bool close = true) {
  nl::FlatPolygons f;
  for (const Polygon& p : polygons) {
    for (Points r : p) {
      if (close && !r.empty()) r.push_back(r.front());
      for (const auto& [x, y] : r) {
        f.xy.push_back(x);
        f.xy.push_back(y);
      }
      f.ring_end.push_back(f.xy.size() / 2);
    }
    f.polygon_end.push_back(f.ring_end.size());
  }
  return f;
}

bool proven(const std::vector<Polygon>& polygons, bool close = true) {
  nl::ValidityProof proof;
  return proof.certainly_valid(flat(polygons, close));
}

// GEOS's verdict on the same polygons (closed rings), the reference the proof must never contradict.
class Geos {
 public:
  Geos() : ctx_(GEOS_init_r()) {}
  ~Geos() { GEOS_finish_r(ctx_); }
  Geos(const Geos&) = delete;
  Geos& operator=(const Geos&) = delete;
  bool valid(const std::vector<Polygon>& polygons) {
    std::vector<GEOSGeometry*> parts;
    for (const Polygon& p : polygons) {
      std::vector<GEOSGeometry*> rings;
      for (Points r : p) {
        r.push_back(r.front());
        GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx_, static_cast<unsigned>(r.size()), 2);
        for (unsigned i = 0; i < r.size(); ++i) GEOSCoordSeq_setXY_r(ctx_, seq, i, r[i].first, r[i].second);
        rings.push_back(GEOSGeom_createLinearRing_r(ctx_, seq));
        REQUIRE(rings.back() != nullptr);
      }
      parts.push_back(GEOSGeom_createPolygon_r(ctx_, rings[0], rings.data() + 1, static_cast<unsigned>(rings.size() - 1)));
    }
    GEOSGeometry* g = GEOSGeom_createCollection_r(ctx_, GEOS_MULTIPOLYGON, parts.data(), static_cast<unsigned>(parts.size()));
    const char v = GEOSisValid_r(ctx_, g);
    GEOSGeom_destroy_r(ctx_, g);
    REQUIRE(v != 2);
    return v == 1;
  }

 private:
  GEOSContextHandle_t ctx_;
};

const Points kSquare{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
const Points kInner{{2, 2}, {4, 2}, {4, 4}, {2, 4}};

Points shifted(const Points& r, double dx, double dy) {
  Points out;
  for (const auto& [x, y] : r) out.emplace_back(x + dx, y + dy);
  return out;
}

}  // namespace

TEST_CASE("polygon validity: valid shapes are proven, GEOS agreeing") {
  const std::vector<std::vector<Polygon>> valid{
      {{kSquare}},
      {{{{0, 0}, {1, 0}, {0, 1}}}},                                     // a triangle
      {{kSquare, kInner}},                                              // a hole inside
      {{kSquare, kInner, shifted(kInner, 4, 4)}},                       // two holes apart
      {{{{0, 0}, {5, 0}, {10, 0}, {10, 10}, {0, 10}}}},                 // straight through (5, 0)
      {{{{0, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 10}}}},       // repeated points
      {{kSquare}, {shifted(kSquare, 20, 0)}},                           // parts apart
      {{kSquare, kInner}, {{{2.5, 2.5}, {3.5, 2.5}, {3.5, 3.5}}}},      // a part inside a hole
      {{shifted(kSquare, 1e6, -3e6)}},                                  // far from the origin
  };
  Geos geos;
  for (const auto& g : valid) {
    CHECK(geos.valid(g));
    CHECK(proven(g));
  }
}

TEST_CASE("polygon validity: invalid and touching shapes are never proven") {
  const std::vector<std::vector<Polygon>> not_proven{
      {{{{0, 0}, {10, 10}, {10, 0}, {0, 10}}}},                   // bow tie
      {{{{0, 0}, {10, 0}, {10, 10}, {10, 5}, {0, 10}}}},          // spike back along an edge
      {{{{0, 0}, {10, 0}, {5, 5}, {10, 10}, {0, 10}, {5, 5}}}},   // a ring touching itself
      {{{{0, 0}, {5, 0}, {10, 0}}}},                              // collinear: no area
      {{kSquare, shifted(kInner, 20, 0)}},                        // hole outside
      {{kSquare, shifted(kSquare, 1, 1)}},                        // hole crossing the exterior
      {{kSquare, {{1, 1}, {8, 1}, {8, 8}, {1, 8}}, kInner}},      // nested holes
      {{kSquare, {{0, 3}, {4, 2}, {4, 4}}}},                      // hole touching the exterior at a point (valid)
      {{kSquare}, {shifted(kSquare, 5, 5)}},                      // parts overlapping
      {{kSquare}, {kInner}},                                      // a part inside another
      {{kSquare}, {shifted(kSquare, 10, 0)}},                     // parts sharing an edge
      {{kSquare}, {shifted(kSquare, 10, 10)}},                    // parts touching at a corner (valid)
      {{kSquare}, {kSquare}},                                     // the same part twice
  };
  Geos geos;
  for (const auto& g : not_proven) CHECK_FALSE(proven(g));
  // Two of them are valid: the proof only declines them (no touching allowed), GEOS decides.
  CHECK(geos.valid(not_proven[7]));
  CHECK(geos.valid(not_proven[11]));
  CHECK_FALSE(geos.valid(not_proven[0]));
  CHECK_FALSE(geos.valid(not_proven[8]));
}

TEST_CASE("polygon validity: malformed input is not proven") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK_FALSE(proven({{kSquare}}, false));  // rings not closed
  CHECK_FALSE(proven({{{{0, 0}, {1, 0}, {nan, 1}}}}));
  CHECK_FALSE(proven({{{{0, 0}, {inf, 0}, {0, 1}}}}));
  CHECK_FALSE(proven({{{{0, 0}, {1, 0}}}}));                  // two distinct points
  CHECK_FALSE(proven({{{{0, 0}, {1, 0}, {1, 0}, {1, 0}}}}));  // the same, repeated
  CHECK_FALSE(proven({Polygon{}}));                           // a polygon without rings
  nl::ValidityProof proof;
  CHECK_FALSE(proof.certainly_valid(nl::FlatPolygons{}));
}

TEST_CASE("certain_orientation: the exact sign or 0, never the wrong sign") {
  // Coordinates k·2^-20 with |k| < 2^40: differences are exact in doubles, products are not
  // (they need up to 82 bits), so the filter is exercised; __int128 gives the exact sign.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> big(-(int64_t{1} << 38), int64_t{1} << 38);
  std::uniform_int_distribution<int64_t> small(-(int64_t{1} << 19), int64_t{1} << 19);
  std::uniform_int_distribution<int64_t> nudge(-3, 3);
  const auto exact_sign = [](int64_t ax, int64_t ay, int64_t bx, int64_t by, int64_t cx, int64_t cy) {
    const __int128 det = static_cast<__int128>(ax - cx) * (by - cy) - static_cast<__int128>(ay - cy) * (bx - cx);
    return (det > 0) - (det < 0);
  };
  const double unit = std::ldexp(1.0, -20);
  int decided = 0, zero_exact = 0;
  for (int i = 0; i < 200000; ++i) {
    // b and c on one line through a (c nudged off it in some cases): the hardest signs to get.
    const int64_t ax = big(rng), ay = big(rng), dx = small(rng), dy = small(rng), s = small(rng), t = small(rng);
    const int64_t bx = ax + dx * s, by = ay + dy * s;
    const int64_t cx = ax + dx * t + nudge(rng) * (i % 3 == 0), cy = ay + dy * t + nudge(rng) * (i % 5 == 0);
    const int want = exact_sign(ax, ay, bx, by, cx, cy);
    const int got = nl::certain_orientation(ax * unit, ay * unit, bx * unit, by * unit, cx * unit, cy * unit);
    REQUIRE((got == 0 || got == want));
    decided += got != 0;
    zero_exact += want == 0;
  }
  // Most of these are near-collinear on purpose; a good share is still decided, and all exactly
  // collinear ones give 0.
  CHECK(zero_exact > 1000);
  CHECK(decided > 1000);
  // The hardest: integer coordinates up to 2^55 next to ones below 2^12, so that the differences
  // themselves round in doubles; c is a rounded point of the line through a and b. The raw sign
  // of the computed determinant is wrong here about once in a thousand; the filter must answer 0
  // or the truth (the products stay below 2^114, exact in __int128).
  std::uniform_real_distribution<double> unit_interval(0.0, 1.0);
  int raw_wrong = 0;
  for (int i = 0; i < 100000; ++i) {
    const double ax = std::round(unit_interval(rng) * 4096), ay = std::round(unit_interval(rng) * 4096);
    const double spread = std::ldexp(1.0, 40 + static_cast<int>(unit_interval(rng) * 16));
    const double bx = std::round(ax + (unit_interval(rng) - 0.5) * spread);
    const double by = std::round(ay + (unit_interval(rng) - 0.5) * spread);
    const double t = unit_interval(rng) * 2 - 0.5;
    const double cx = std::round(ax + (bx - ax) * t), cy = std::round(ay + (by - ay) * t);
    const auto i64 = [](double v) { return static_cast<int64_t>(v); };
    const int want = exact_sign(i64(ax), i64(ay), i64(bx), i64(by), i64(cx), i64(cy));
    const double raw = (ax - cx) * (by - cy) - (ay - cy) * (bx - cx);
    raw_wrong += raw != 0 && (raw > 0) != (want > 0);
    const int got = nl::certain_orientation(ax, ay, bx, by, cx, cy);
    REQUIRE((got == 0 || got == want));
  }
  CHECK(raw_wrong > 10);  // the cases are as hard as meant
  CHECK(nl::certain_orientation(0, 0, 1, 0, 0, 1) == 1);
  CHECK(nl::certain_orientation(0, 0, 1, 0, 0, -1) == -1);
  CHECK(nl::certain_orientation(0.1, 0.1, 0.2, 0.2, 0.3, 0.3) == 0);  // collinear up to rounding
}

TEST_CASE("polygon validity: random polygons, snapped to a coarse grid, never proven when GEOS says invalid") {
  // Star-shaped rings (valid), then spoilt: a vertex moved across, a vertex repeated further on,
  // a hole moved out, a second part moved over; snapping to 1/4 makes exact touches and
  // collinear runs common, the cases a filter could get wrong.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto star = [&](int n, double cx, double cy, double r0, double r1, double snap) {
    Points p;
    for (int i = 0; i < n; ++i) {
      const double a = 2 * std::numbers::pi * (i + 0.8 * u(rng)) / n, r = r0 + (r1 - r0) * u(rng);
      double x = cx + r * std::cos(a), y = cy + r * std::sin(a);
      if (snap > 0) x = std::round(x / snap) * snap, y = std::round(y / snap) * snap;
      p.emplace_back(x, y);
    }
    return p;
  };
  Geos geos;
  nl::ValidityProof proof;
  int geos_valid = 0, proven_count = 0, generic_unproven = 0;
  for (int i = 0; i < 3000; ++i) {
    const bool snapped = i % 2 == 1;
    const double snap = snapped ? 0.25 : 0.0;
    const int n = 3 + static_cast<int>(u(rng) * 40);
    std::vector<Polygon> g{{star(n, 0, 0, 4, 8, snap)}};
    if (u(rng) < 0.4) g[0].push_back(star(3 + i % 7, u(rng) * 2, u(rng) * 2, 0.5, 1.5 + u(rng) * 3, snap));
    if (u(rng) < 0.3) g.push_back({star(3 + i % 5, 8 + u(rng) * 10, 0, 1, 3, snap)});
    const int spoil = i % 4;  // 0: as generated
    Points& ring = g[0][0];
    if (spoil == 1) ring[static_cast<size_t>(u(rng) * n)] = {-ring[0].first * u(rng) * 2, -ring[0].second * u(rng) * 2};
    if (spoil == 2 && n > 4) ring.insert(ring.begin() + n / 2, ring[0]);
    if (spoil == 3) ring.insert(ring.begin() + 1, {std::round(ring[0].first * 0.5), std::round(ring[0].second * 0.5)});
    bool degenerate = false;  // a snapped ring may collapse below 3 distinct points: GEOS would refuse it
    for (const Polygon& p : g)
      for (const Points& r : p) {
        Points distinct;
        for (const auto& q : r)
          if (distinct.empty() || distinct.back() != q) distinct.push_back(q);
        if (distinct.size() > 1 && distinct.back() == distinct.front()) distinct.pop_back();
        degenerate = degenerate || distinct.size() < 3;
      }
    if (degenerate) {
      CHECK_FALSE(proof.certainly_valid(flat(g)));
      continue;
    }
    const bool reference = geos.valid(g), got = proof.certainly_valid(flat(g));
    if (got && !reference) FAIL("proven valid but GEOS says invalid, case " << i);
    geos_valid += reference;
    proven_count += got;
    // Unsnapped, unspoilt and valid: nothing touches, so the proof should get through.
    if (!snapped && spoil == 0 && reference && !got) ++generic_unproven;
  }
  CHECK(generic_unproven == 0);
  CHECK(geos_valid > 500);
  CHECK(proven_count > 400);
  MESSAGE("GEOS valid " << geos_valid << ", proven " << proven_count);
}

TEST_CASE("polygon validity: long rectilinear combs, where x-monotone chains are short and vertical edges many") {
  // A comb: a spine along y = 0 and teeth going up, each tooth a column [x, x + w] separated by
  // gaps; every tooth side is vertical. Valid as built; a tooth's top widened over its gap
  // overlaps the next tooth (invalid), widened exactly to it touches (invalid: a shared edge).
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> width(1, 3), height(2, 40), teeth_count(2, 300);
  Geos geos;
  nl::ValidityProof proof;
  int checked = 0;
  for (int i = 0; i < 300; ++i) {
    const int teeth = teeth_count(rng);
    Points ring{{0, -5}};
    double x = 0;
    std::vector<std::pair<double, double>> tops;  // x-ranges of the teeth
    for (int k = 0; k < teeth; ++k) {
      const double w = width(rng), h = height(rng), gap = width(rng);
      ring.emplace_back(x, 0);
      ring.emplace_back(x, h);
      ring.emplace_back(x + w, h);
      ring.emplace_back(x + w, 0);
      tops.emplace_back(x, x + w);
      x += w + gap;
    }
    ring.emplace_back(x, 0);
    ring.emplace_back(x, -5);
    const int spoil = i % 3;
    if (spoil > 0 && teeth > 2) {
      // Widen a middle tooth's top to the right: over the gap into the next tooth, or exactly to it.
      const size_t k = static_cast<size_t>(teeth / 2), top_right = 1 + 4 * k + 2;
      const double next_left = tops[k + 1].first;
      const double to = spoil == 1 ? next_left + 0.5 : next_left;
      ring[top_right].first = to;
      ring[top_right + 1].first = to;
    }
    const std::vector<Polygon> g{{ring}};
    const bool reference = geos.valid(g), got = proof.certainly_valid(flat(g));
    if (got && !reference) FAIL("proven valid but GEOS says invalid, comb " << i);
    if (spoil == 0) CHECK(got);  // valid and nothing touches
    if (spoil > 0 && teeth > 2) CHECK_FALSE(reference);
    ++checked;
  }
  CHECK(checked == 300);
}
