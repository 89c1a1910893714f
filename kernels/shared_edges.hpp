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

// Every distinct edge once, with the polygons on its two sides (`right` = -1 on the outside).
// Built once per run; each map's outlines are then a filter over it.
struct EdgeSides {
  GridSegment segment;
  int64_t left = -1, right = -1;
};
std::vector<EdgeSides> edge_table(const std::vector<std::vector<GridRing>>& rings);

// Edges whose two sides are in different groups (`group[p]` of polygon p; -1: a group of its
// own), in the table's order.
std::vector<GridSegment> group_outline_segments(const std::vector<EdgeSides>& edges, const std::vector<int64_t>& group);

// The same from the rings directly.
std::vector<GridSegment> group_outline_segments(const std::vector<std::vector<GridRing>>& rings,
                                                const std::vector<int64_t>& group);

}  // namespace nl
