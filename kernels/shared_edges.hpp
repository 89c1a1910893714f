// Outlines of groups of polygons from their members' edges: an edge is on a group's outline when
// the polygon across it belongs to another group (or none). Drawing a province's outline this way
// needs no union of its counties' polygons — only a hash of their (quantised) edges, which
// neighbours share exactly because they share vertices.
#pragma once
#include <cstdint>
#include <vector>

namespace nl {

struct GridPoint {
  int32_t x = 0, y = 0;
  bool operator==(const GridPoint&) const = default;
};
using GridRing = std::vector<GridPoint>;  // closed implicitly (last point joins the first)

struct GridSegment {
  GridPoint a, b;
};

// `rings[p]` are polygon p's rings, `group[p]` its group (any int; -1: drawn as its own group).
// Returns every edge whose two sides are in different groups, once each, in input order.
std::vector<GridSegment> group_outline_segments(const std::vector<std::vector<GridRing>>& rings,
                                                const std::vector<int64_t>& group);

}  // namespace nl
