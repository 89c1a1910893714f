// A fast proof that (multi)polygons are valid in the OGC sense, for the common case: rings that
// neither cross nor touch one another or themselves, holes inside their exterior, parts apart.
// It answers only "certainly valid" or "not proven": every sign it relies on is either exact or
// outside a rounding-error bound, so whatever it passes GEOS passes too, and whatever it cannot
// prove (a touch, a spike, a near-degenerate crossing, a real fault) is left to GEOS to decide.
// Checking a country's counties this way costs under half of GEOS's full topology analysis.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nl {

// Polygons as flat arrays: rings' points interleaved (x0, y0, x1, y1, …), each ring closed (its
// last point repeats its first); a polygon's first ring is its exterior, the rest its holes.
struct FlatPolygons {
  std::vector<double> xy;
  std::vector<size_t> ring_end;     // one past each ring's last point, counted in points
  std::vector<size_t> polygon_end;  // one past each polygon's last ring, counted in rings
  void clear() {
    xy.clear();
    ring_end.clear();
    polygon_end.clear();
  }
};

// Holds scratch space between calls: one per thread.
class ValidityProof {
 public:
  // True only when the polygons are valid; false when they are not or when this cannot tell.
  // Repeated consecutive points are allowed (as GEOS allows them); unclosed rings, rings of
  // fewer than 3 distinct points, non-finite coordinates and empty polygons are never proven.
  bool certainly_valid(const FlatPolygons& polygons);

 private:
  struct Segment {
    double x0, y0, x1, y1;
    uint32_t ring, index;  // the ring (within the call) and the segment's place in it
  };
  struct RingSpan {
    size_t first, count;  // the ring's points in points_ (closed; deduplicated)
    double xmin, xmax, ymin, ymax;
  };
  // A run of a ring's segments along which x never turns back (x-monotone), with its bounds:
  // the sweep orders and pairs chains, then walks two chains' segments in x like a merge.
  struct Chain {
    uint32_t first, count;  // segments_[first, first + count)
    bool ascending;         // x grows from first to last (false: the walk runs backwards)
    double xmin, xmax, ymin, ymax;
  };

  bool collect_rings(const FlatPolygons& polygons);
  void build_chains();
  bool no_segments_meet();
  bool chains_apart(const Chain& a, const Chain& b) const;
  bool chain_apart_from_itself(const Chain& c) const;
  bool segments_apart(const Segment& s, const Segment& t) const;
  bool rings_nest_properly(const FlatPolygons& polygons) const;
  int point_in_ring(double x, double y, const RingSpan& ring) const;

  std::vector<double> points_;  // deduplicated ring points, interleaved
  std::vector<RingSpan> rings_;
  std::vector<Segment> segments_;
  std::vector<Chain> chains_;
  std::vector<uint32_t> order_, active_;  // chains by smallest x; chains the sweep still meets
};

// The sign of the orientation of (a, b, c): +1 counter-clockwise, -1 clockwise, 0 when the
// points are collinear or the sign is within rounding error of zero (Shewchuk's first filter).
int certain_orientation(double ax, double ay, double bx, double by, double cx, double cy);

}  // namespace nl
