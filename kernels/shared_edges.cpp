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
template <typename F>
void for_each_edge(const GridRing& ring, F f) {
  for (size_t i = 0; i < ring.size(); ++i) {
    const GridPoint a = ring[i], b = ring[(i + 1) % ring.size()];
    if (!(a == b)) f(a, b);
  }
}
}  // namespace

std::vector<EdgeSides> edge_table(const std::vector<std::vector<GridRing>>& rings) {
  size_t n = 0;
  for (const auto& f : rings)
    for (const auto& r : f) n += r.size();
  std::unordered_map<EdgeKey, size_t, EdgeHash> index;
  index.reserve(n);
  std::vector<EdgeSides> edges;
  edges.reserve(n);
  for (size_t p = 0; p < rings.size(); ++p)
    for (const auto& ring : rings[p])
      for_each_edge(ring, [&](GridPoint a, GridPoint b) {
        const auto [it, fresh] = index.try_emplace(edge_key(a, b), edges.size());
        if (fresh) edges.push_back({{a, b}, static_cast<int64_t>(p), -1});
        else if (edges[it->second].right < 0 && edges[it->second].left != static_cast<int64_t>(p))
          edges[it->second].right = static_cast<int64_t>(p);
      });
  return edges;
}

std::vector<GridSegment> group_outline_segments(const std::vector<EdgeSides>& edges, const std::vector<int64_t>& group) {
  // -1: a group of its own, distinct from every other polygon.
  auto group_of = [&](int64_t p) { return group[p] >= 0 ? group[p] : -1 - p; };
  std::vector<GridSegment> out;
  for (const auto& e : edges)
    if (e.right < 0 || group_of(e.left) != group_of(e.right)) out.push_back(e.segment);
  return out;
}

std::vector<GridSegment> group_outline_segments(const std::vector<std::vector<GridRing>>& rings,
                                                const std::vector<int64_t>& group) {
  return group_outline_segments(edge_table(rings), group);
}

}  // namespace nl
