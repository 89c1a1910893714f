// A conservative validity proof for polygons: see polygon_validity.hpp. Three steps, each of
// which may give up: rings are well-formed; no two segments meet except consecutive ones at
// their shared point (a sweep in x over x-monotone chains of segments); every hole lies inside
// its exterior and outside the other holes, every part outside the other parts or inside one
// of their holes. With no meeting segments, a ring lies wholly inside or outside another, so
// one point of it decides; and with no touching rings the interior is connected.
#include "kernels/polygon_validity.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nl {

namespace {

constexpr double kEpsilon = 0x1p-53;  // half an ulp of 1: the relative error of one rounding
// Shewchuk's bound on the error of det = (a−c)×(b−c) computed in doubles, relative to the sum of
// its two products' magnitudes ("Adaptive Precision Floating-Point Arithmetic", 1997).
constexpr double kOrientErrorBound = (3.0 + 16.0 * kEpsilon) * kEpsilon;
// Below this the products may have lost precision to underflow, where relative bounds fail.
constexpr double kTiny = 1e-280;
// More parts or holes than this are left to GEOS, whose indexed checks scale better than the
// pairwise tests here.
constexpr size_t kMaxPairwise = 2048;

int sign(double v) { return (v > 0) - (v < 0); }

// Whether (u · v) is certainly negative: u and v, two rounded differences, point apart.
bool certainly_negative_dot(double ux, double uy, double vx, double vy) {
  const double t1 = ux * vx, t2 = uy * vy, magnitude = std::abs(t1) + std::abs(t2);
  if (magnitude < kTiny) return false;
  // Each difference, product and the sum round once: under 4ε of the magnitude; 8ε is slack.
  return t1 + t2 < -8.0 * kEpsilon * magnitude;
}

bool finite_points(const double* xy, size_t count) {
  for (size_t i = 0; i < 2 * count; ++i)
    if (!std::isfinite(xy[i])) return false;
  return true;
}

}  // namespace

int certain_orientation(double ax, double ay, double bx, double by, double cx, double cy) {
  // A rounded difference of doubles has the sign of the exact one (and is 0 only when exact), so
  // each product's sign is known exactly; the sign of their difference is exact when they differ.
  const double l1 = ax - cx, l2 = by - cy, r1 = ay - cy, r2 = bx - cx;
  const int left = sign(l1) * sign(l2), right = sign(r1) * sign(r2);
  if (left != right) return left > right ? 1 : -1;
  if (left == 0) return 0;  // both products exactly zero: collinear
  const double detleft = l1 * l2, detright = r1 * r2, det = detleft - detright;
  const double magnitude = std::abs(detleft) + std::abs(detright);
  if (magnitude < kTiny) return 0;
  const double bound = kOrientErrorBound * magnitude;
  if (det > bound) return 1;
  if (det < -bound) return -1;
  return 0;
}

bool ValidityProof::certainly_valid(const FlatPolygons& polygons) {
  if (!collect_rings(polygons)) return false;
  if (!no_segments_meet()) return false;
  return rings_nest_properly(polygons);
}

// Copies every ring without repeated consecutive points into points_, with its bounds; gives up
// on anything GEOS would have to judge (or refuse) itself.
bool ValidityProof::collect_rings(const FlatPolygons& polygons) {
  points_.clear();
  rings_.clear();
  segments_.clear();
  const size_t ring_count = polygons.ring_end.size();
  if (polygons.polygon_end.empty() || polygons.polygon_end.back() != ring_count) return false;
  if (ring_count >= UINT32_MAX || polygons.ring_end.empty() || polygons.ring_end.back() * 2 != polygons.xy.size())
    return false;
  size_t previous_polygon_end = 0;
  for (const size_t end : polygons.polygon_end) {
    if (end <= previous_polygon_end) return false;  // an empty polygon, or ends out of order
    if (end - previous_polygon_end > kMaxPairwise) return false;
    previous_polygon_end = end;
  }
  if (polygons.polygon_end.size() > kMaxPairwise) return false;
  size_t begin = 0;
  for (size_t r = 0; r < ring_count; ++r) {
    const size_t end = polygons.ring_end[r];
    if (end < begin + 4) return false;
    const double* xy = polygons.xy.data() + 2 * begin;
    const size_t n = end - begin;
    if (!finite_points(xy, n)) return false;
    if (xy[0] != xy[2 * (n - 1)] || xy[1] != xy[2 * (n - 1) + 1]) return false;  // not closed
    RingSpan span{points_.size() / 2, 0, xy[0], xy[0], xy[1], xy[1]};
    for (size_t i = 0; i < n; ++i) {
      const double x = xy[2 * i], y = xy[2 * i + 1];
      if (span.count > 0 && x == points_[points_.size() - 2] && y == points_.back()) continue;
      points_.push_back(x);
      points_.push_back(y);
      ++span.count;
      span.xmin = std::min(span.xmin, x);
      span.xmax = std::max(span.xmax, x);
      span.ymin = std::min(span.ymin, y);
      span.ymax = std::max(span.ymax, y);
    }
    if (span.count < 4) return false;  // fewer than 3 distinct points
    const double* p = points_.data() + 2 * span.first;
    for (size_t i = 0; i + 1 < span.count; ++i)
      segments_.push_back({p[2 * i], p[2 * i + 1], p[2 * i + 2], p[2 * i + 3], static_cast<uint32_t>(r),
                           static_cast<uint32_t>(i)});
    rings_.push_back(span);
    begin = end;
  }
  return segments_.size() < UINT32_MAX;
}

// Two segments meet nowhere, or only at the point they share when consecutive in a ring.
bool ValidityProof::segments_apart(const Segment& s, const Segment& t) const {
  if (s.ring == t.ring) {
    const uint32_t last = static_cast<uint32_t>(rings_[s.ring].count - 2);
    const uint32_t lo = std::min(s.index, t.index), hi = std::max(s.index, t.index);
    if (hi - lo == 1 || (lo == 0 && hi == last)) {
      // A→B then B→C: they meet only at B unless C turns back along B→A.
      const Segment& first = (s.x1 == t.x0 && s.y1 == t.y0) ? s : t;
      const Segment& second = (&first == &s) ? t : s;
      if (first.x1 != second.x0 || first.y1 != second.y0) return false;
      if (certain_orientation(first.x0, first.y0, first.x1, first.y1, second.x1, second.y1) != 0) return true;
      return certainly_negative_dot(first.x0 - first.x1, first.y0 - first.y1, second.x1 - first.x1,
                                    second.y1 - first.y1);
    }
  }
  // Apart when one lies strictly on one side of the other's line.
  const int c = certain_orientation(s.x0, s.y0, s.x1, s.y1, t.x0, t.y0);
  if (c != 0 && c == certain_orientation(s.x0, s.y0, s.x1, s.y1, t.x1, t.y1)) return true;
  const int a = certain_orientation(t.x0, t.y0, t.x1, t.y1, s.x0, s.y0);
  return a != 0 && a == certain_orientation(t.x0, t.y0, t.x1, t.y1, s.x1, s.y1);
}

// Splits every ring's segments into x-monotone chains (a vertical segment joins any chain).
void ValidityProof::build_chains() {
  chains_.clear();
  const auto close = [this](Chain& c) {
    c.xmin = c.ymin = INFINITY;
    c.xmax = c.ymax = -INFINITY;
    for (uint32_t k = c.first; k < c.first + c.count; ++k) {
      const Segment& s = segments_[k];
      c.xmin = std::min({c.xmin, s.x0, s.x1});
      c.xmax = std::max({c.xmax, s.x0, s.x1});
      c.ymin = std::min({c.ymin, s.y0, s.y1});
      c.ymax = std::max({c.ymax, s.y0, s.y1});
    }
    chains_.push_back(c);
  };
  Chain chain{0, 0, true, 0, 0, 0, 0};
  int direction = 0;  // of the open chain in x: +1, −1, or 0 while only vertical
  for (uint32_t k = 0; k < segments_.size(); ++k) {
    const Segment& s = segments_[k];
    const int d = (s.x1 > s.x0) - (s.x1 < s.x0);
    const bool new_ring = chain.count > 0 && segments_[chain.first].ring != s.ring;
    if (new_ring || (d != 0 && direction != 0 && d != direction)) {
      chain.ascending = direction >= 0;
      close(chain);
      chain = Chain{k, 0, true, 0, 0, 0, 0};
      direction = 0;
    }
    if (d != 0) direction = d;
    ++chain.count;
  }
  if (chain.count > 0) {
    chain.ascending = direction >= 0;
    close(chain);
  }
}

// No segment of chain a meets one of chain b. Both are walked in increasing x; for each segment
// of a, the segments of b whose x-ranges overlap its own form a window that only moves forward.
bool ValidityProof::chains_apart(const Chain& a, const Chain& b) const {
  const auto at = [this](const Chain& c, uint32_t t) -> const Segment& {
    return segments_[c.ascending ? c.first + t : c.first + c.count - 1 - t];
  };
  uint32_t window = 0;
  for (uint32_t t = 0; t < a.count; ++t) {
    const Segment& s = at(a, t);
    const double sxmin = std::min(s.x0, s.x1), sxmax = std::max(s.x0, s.x1);
    if (sxmax < b.xmin) continue;
    if (sxmin > b.xmax) break;
    const double symin = std::min(s.y0, s.y1), symax = std::max(s.y0, s.y1);
    while (window < b.count && std::max(at(b, window).x0, at(b, window).x1) < sxmin) ++window;
    for (uint32_t u = window; u < b.count; ++u) {
      const Segment& o = at(b, u);
      if (std::min(o.x0, o.x1) > sxmax) break;
      if (std::min(o.y0, o.y1) <= symax && symin <= std::max(o.y0, o.y1) && !segments_apart(s, o)) return false;
    }
  }
  return true;
}

// Within one chain, only segments whose x-ranges overlap can meet: next to a vertical segment,
// or consecutive ones.
bool ValidityProof::chain_apart_from_itself(const Chain& c) const {
  for (uint32_t t = c.first; t < c.first + c.count; ++t) {
    const Segment& s = segments_[t];
    const double sxmin = std::min(s.x0, s.x1), sxmax = std::max(s.x0, s.x1);
    // Along the chain's own order x-ranges only grow apart, except across vertical runs: look
    // both ways until a segment lies wholly beyond.
    for (uint32_t u = t + 1; u < c.first + c.count; ++u) {
      const Segment& o = segments_[u];
      const double oxmin = std::min(o.x0, o.x1), oxmax = std::max(o.x0, o.x1);
      if (oxmin > sxmax || oxmax < sxmin) break;
      if (std::min(o.y0, o.y1) <= std::max(s.y0, s.y1) && std::min(s.y0, s.y1) <= std::max(o.y0, o.y1) &&
          !segments_apart(s, o))
        return false;
    }
  }
  return true;
}

// True when no two segments meet, except consecutive segments of a ring at their shared point.
// Chains are visited in order of their smallest x; each is paired with the chains still open.
bool ValidityProof::no_segments_meet() {
  build_chains();
  order_.resize(chains_.size());
  std::iota(order_.begin(), order_.end(), 0U);
  std::sort(order_.begin(), order_.end(), [this](uint32_t a, uint32_t b) { return chains_[a].xmin < chains_[b].xmin; });
  active_.clear();
  for (const uint32_t index : order_) {
    const Chain& c = chains_[index];
    if (!chain_apart_from_itself(c)) return false;
    for (size_t k = 0; k < active_.size();) {
      const Chain& o = chains_[active_[k]];
      if (o.xmax < c.xmin) {  // ends before this one starts: done with it
        active_[k] = active_.back();
        active_.pop_back();
        continue;
      }
      if (o.ymin <= c.ymax && c.ymin <= o.ymax && !chains_apart(o, c)) return false;
      ++k;
    }
    active_.push_back(index);
  }
  return true;
}

// Where (x, y) lies against a ring: +1 inside, −1 outside, 0 when a crossing's side is within
// rounding error (never for a point proven off the ring by no_segments_meet, in practice).
int ValidityProof::point_in_ring(double x, double y, const RingSpan& ring) const {
  if (x < ring.xmin || x > ring.xmax || y < ring.ymin || y > ring.ymax) return -1;
  const double* p = points_.data() + 2 * ring.first;
  bool inside = false;
  for (size_t i = 0; i + 1 < ring.count; ++i) {
    const double ax = p[2 * i], ay = p[2 * i + 1], bx = p[2 * i + 2], by = p[2 * i + 3];
    const bool a_above = ay > y, b_above = by > y;
    if (a_above == b_above) continue;  // the edge does not cross the horizontal through the point
    const int side = certain_orientation(ax, ay, bx, by, x, y);
    if (side == 0) return 0;
    // The crossing is right of the point when the point is left of an upward edge, or right of
    // a downward one.
    if (b_above ? side > 0 : side < 0) inside = !inside;
  }
  return inside ? 1 : -1;
}

bool ValidityProof::rings_nest_properly(const FlatPolygons& polygons) const {
  const auto first_point = [this](size_t ring, double& x, double& y) {
    x = points_[2 * rings_[ring].first];
    y = points_[2 * rings_[ring].first + 1];
  };
  double x = 0, y = 0;
  size_t begin = 0;
  for (const size_t end : polygons.polygon_end) {
    for (size_t h = begin + 1; h < end; ++h) {
      first_point(h, x, y);
      if (point_in_ring(x, y, rings_[begin]) != 1) return false;  // a hole outside its exterior
      for (size_t g = begin + 1; g < end; ++g)
        if (g != h && point_in_ring(x, y, rings_[g]) != -1) return false;  // nested holes
    }
    begin = end;
  }
  // Each part's exterior lies outside every other part, or inside one of its holes.
  size_t p_begin = 0;
  for (const size_t p_end : polygons.polygon_end) {
    first_point(p_begin, x, y);
    size_t q_begin = 0;
    for (const size_t q_end : polygons.polygon_end) {
      if (q_begin != p_begin) {
        const int shell = point_in_ring(x, y, rings_[q_begin]);
        if (shell == 0) return false;
        if (shell == 1) {
          bool in_hole = false;
          for (size_t h = q_begin + 1; h < q_end && !in_hole; ++h) {
            const int where = point_in_ring(x, y, rings_[h]);
            if (where == 0) return false;
            in_hole = where == 1;
          }
          if (!in_hole) return false;  // parts overlap
        }
      }
      q_begin = q_end;
    }
    p_begin = p_end;
  }
  return true;
}

}  // namespace nl
