// Independent reference geometry for tests: polygon clipping to a box (Sutherland–Hodgman) and
// shoelace areas, written without the coverage kernel's row/prefix-sum machinery.
#pragma once
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "kernels/coverage.hpp"

namespace nl::testref {

inline double shoelace(const std::vector<CellPoint>& p) {
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const auto& a = p[i];
    const auto& b = p[(i + 1) % p.size()];
    s += a.x * b.y - b.x * a.y;
  }
  return s / 2;
}

// Clips a ring to [x0,x1]×[y0,y1]; valid for any ring since the clip region is convex (the
// result may hold zero-width slivers, which have no area).
inline std::vector<CellPoint> clip_to_box(std::vector<CellPoint> poly, double x0, double y0, double x1,
                                          double y1) {
  auto clip = [](const std::vector<CellPoint>& in, auto inside, auto intersect) {
    std::vector<CellPoint> out;
    for (size_t i = 0; i < in.size(); ++i) {
      const CellPoint cur = in[i], prev = in[(i + in.size() - 1) % in.size()];
      const bool ci = inside(cur), pi = inside(prev);
      if (ci) {
        if (!pi) out.push_back(intersect(prev, cur));
        out.push_back(cur);
      } else if (pi) {
        out.push_back(intersect(prev, cur));
      }
    }
    return out;
  };
  auto at_x = [](double x) {
    return [x](CellPoint a, CellPoint b) { return CellPoint{x, a.y + (x - a.x) * (b.y - a.y) / (b.x - a.x)}; };
  };
  auto at_y = [](double y) {
    return [y](CellPoint a, CellPoint b) { return CellPoint{a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y), y}; };
  };
  poly = clip(poly, [&](CellPoint p) { return p.x >= x0; }, at_x(x0));
  if (poly.empty()) return poly;
  poly = clip(poly, [&](CellPoint p) { return p.x <= x1; }, at_x(x1));
  if (poly.empty()) return poly;
  poly = clip(poly, [&](CellPoint p) { return p.y >= y0; }, at_y(y0));
  if (poly.empty()) return poly;
  poly = clip(poly, [&](CellPoint p) { return p.y <= y1; }, at_y(y1));
  return poly;
}

// Area of the rings (exteriors minus holes) inside a box.
inline double area_in_box(const std::vector<Ring>& rings, double x0, double y0, double x1, double y1) {
  double a = 0;
  for (const auto& r : rings) {
    const double part = std::abs(shoelace(clip_to_box(r.points, x0, y0, x1, y1)));
    a += r.hole ? -part : part;
  }
  return a;
}

// Dense per-cell fractions from clipping the polygon to every cell.
inline std::vector<double> brute_force_fractions(const std::vector<Ring>& rings, int w, int h) {
  std::vector<double> f(static_cast<size_t>(w) * h);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) f[static_cast<size_t>(r) * w + c] = area_in_box(rings, c, r, c + 1, r + 1);
  return f;
}

inline std::vector<double> dense(const std::vector<CoverageRun>& runs, int w, int h) {
  std::vector<double> f(static_cast<size_t>(w) * h, 0.0);
  for (const auto& run : runs)
    for (int c = run.col_begin; c < run.col_end; ++c) f[static_cast<size_t>(run.row) * w + c] += run.fraction;
  return f;
}

// A star-shaped polygon (never self-intersecting) with `n` vertices around (cx, cy).
inline Ring random_star(std::mt19937& rng, double cx, double cy, double rmin, double rmax, int n) {
  std::uniform_real_distribution<double> radius(rmin, rmax);
  Ring ring;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * std::numbers::pi * i / n;
    const double r = radius(rng);
    ring.points.push_back({cx + r * std::cos(t), cy + r * std::sin(t)});
  }
  return ring;
}

inline Ring box(double x0, double y0, double x1, double y1, bool hole = false) {
  return Ring{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, hole};
}

}  // namespace nl::testref
