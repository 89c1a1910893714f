// Group outlines from members' edges (see shared_edges.hpp).
#include "kernels/shared_edges.hpp"

#include <cstddef>
#include <functional>
#include <unordered_map>

namespace nl {

using std::size_t;

namespace {
uint64_t point_key(GridPoint p) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(p.x)) << 32) | static_cast<uint32_t>(p.y);
}
struct EdgeKey {
  uint64_t lo, hi;
  bool operator==(const EdgeKey&) const = default;
};
struct EdgeHash {
  size_t operator()(const EdgeKey& k) const { return std::hash<uint64_t>()(k.lo * 0x9E3779B97F4A7C15ULL ^ k.hi); }
};
// Direction-free: a shared edge is walked one way by each neighbour.
EdgeKey edge_key(GridPoint a, GridPoint b) {
  const uint64_t ka = point_key(a), kb = point_key(b);
  return ka < kb ? EdgeKey{ka, kb} : EdgeKey{kb, ka};
}
struct EdgeUse {
  GridSegment segment;
  int64_t group;
  int uses;
  bool boundary;  // some use saw a different group
};

template <typename F>
void for_each_edge(const GridRing& ring, F f) {
  for (size_t i = 0; i < ring.size(); ++i) {
    const GridPoint a = ring[i], b = ring[(i + 1) % ring.size()];
    if (!(a == b)) f(a, b);
  }
}
}  // namespace

std::vector<GridSegment> group_outline_segments(const std::vector<std::vector<GridRing>>& rings,
                                                const std::vector<int64_t>& group) {
  std::unordered_map<EdgeKey, size_t, EdgeHash> index;
  std::vector<EdgeUse> edges;
  for (size_t p = 0; p < rings.size(); ++p) {
    // -1: a group of its own, distinct from every other polygon.
    const int64_t g = group[p] >= 0 ? group[p] : -1 - static_cast<int64_t>(p);
    for (const auto& ring : rings[p])
      for_each_edge(ring, [&](GridPoint a, GridPoint b) {
        const auto [it, fresh] = index.try_emplace(edge_key(a, b), edges.size());
        if (fresh) {
          edges.push_back({{a, b}, g, 1, false});
          return;
        }
        EdgeUse& e = edges[it->second];
        ++e.uses;
        if (e.group != g) e.boundary = true;
      });
  }
  std::vector<GridSegment> out;
  for (const auto& e : edges)
    if (e.uses == 1 || e.boundary) out.push_back(e.segment);
  return out;
}

}  // namespace nl
