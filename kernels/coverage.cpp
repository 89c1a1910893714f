// The exact coverage kernel: each cell's covered fraction from the polygon's edges, per row.
#include "kernels/coverage.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace nl {

CoverageMode parse_coverage_mode(const std::string& name) {
  if (name == "exact") return CoverageMode::exact;
  if (name == "center" || name == "centre") return CoverageMode::center;
  if (name == "all-touched" || name == "all_touched") return CoverageMode::all_touched;
  throw std::invalid_argument("unknown coverage mode '" + name + "' (use exact, center or all-touched)");
}

const char* coverage_mode_name(CoverageMode mode) {
  switch (mode) {
    case CoverageMode::exact: return "exact";
    case CoverageMode::center: return "center";
    case CoverageMode::all_touched: return "all-touched";
  }
  return "?";
}

double ring_signed_area(const std::vector<CellPoint>& p) {
  const size_t n = p.size();
  if (n < 3) return 0;
  // Shift to the first vertex: keeps the products small, so the sum stays exact-ish.
  double twice = 0;
  const double ox = p[0].x, oy = p[0].y;
  for (size_t i = 0; i < n; ++i) {
    const CellPoint& a = p[i];
    const CellPoint& b = p[(i + 1) % n];
    twice += (a.x - ox) * (b.y - oy) - (b.x - ox) * (a.y - oy);
  }
  return twice / 2;
}

double covered_cells(const std::vector<CoverageRun>& runs) {
  double total = 0;
  for (const auto& r : runs) total += r.fraction * (r.col_end - r.col_begin);
  return total;
}

namespace {

struct RowRange {
  int64_t first = 0, last = -1;  // inclusive
  int64_t count() const { return last - first + 1; }
};

RowRange rows_touched(const std::vector<Ring>& rings, int64_t height) {
  double ymin = std::numeric_limits<double>::infinity(), ymax = -ymin;
  for (const auto& ring : rings)
    for (const auto& p : ring.points) {
      ymin = std::min(ymin, p.y);
      ymax = std::max(ymax, p.y);
    }
  if (!(ymin <= ymax)) return {};
  const double lo = std::max(0.0, std::floor(ymin));
  const double hi = std::min(static_cast<double>(height) - 1, std::ceil(ymax) - 1);
  if (lo > hi) return {};
  return {static_cast<int64_t>(lo), static_cast<int64_t>(hi)};
}

// Contribution of an edge piece to one cell: `partial` to the cell holding it, `carry` to every
// cell to its right (the row's prefix sum turns these into exact areas). Rows and columns are
// inside the grid, whose sides fit in int32 (cell coordinates are checked when zones are read).
struct CellEntry {
  int32_t row;
  int32_t col;
  double partial;
  double carry;
};

class ExactRasterizer {
 public:
  ExactRasterizer(int64_t width, RowRange rows) : width_(width), rows_(rows) {}

  void add_ring(const Ring& ring) {
    const auto& p = ring.points;
    const size_t n = p.size();
    if (n < 3) return;
    const double area = ring_signed_area(p);
    if (area == 0) return;
    // The prefix-sum formulation yields -shoelace area for a ring; orient so exteriors add.
    const double sign = (area > 0) == ring.hole ? 1.0 : -1.0;
    for (size_t i = 0; i < n; ++i) add_edge(p[i], p[(i + 1) % n], sign);
  }

  std::vector<CoverageRun> runs() {
    // Entries of all rows in one array, put in row order by a counting sort (one allocation per
    // polygon instead of a growing vector per row), then each row's few entries by column.
    const auto nrows = static_cast<size_t>(rows_.count());
    std::vector<size_t> start(nrows + 1, 0);
    for (const CellEntry& e : entries_) ++start[static_cast<size_t>(e.row - rows_.first) + 1];
    for (size_t r = 0; r < nrows; ++r) start[r + 1] += start[r];
    std::vector<CellEntry> sorted(entries_.size());
    {
      std::vector<size_t> next(start.begin(), start.end() - 1);
      for (const CellEntry& e : entries_) sorted[next[static_cast<size_t>(e.row - rows_.first)]++] = e;
    }
    std::vector<CellEntry>().swap(entries_);
    std::vector<CoverageRun> out;
    for (size_t b = 0; b < nrows; ++b) {
      if (start[b] == start[b + 1]) continue;
      const auto row = static_cast<int32_t>(rows_.first + static_cast<int64_t>(b));
      CellEntry* first = sorted.data() + start[b];
      CellEntry* last = sorted.data() + start[b + 1];
      std::sort(first, last, [](const CellEntry& a, const CellEntry& c) { return a.col < c.col; });
      double running = 0;
      int64_t next = 0;
      for (CellEntry* it = first; it != last;) {
        const int64_t col = it->col;
        emit_run(out, row, next, col, running);
        double partial = 0, carry = 0;
        for (; it != last && it->col == col; ++it) {
          partial += it->partial;
          carry += it->carry;
        }
        const double f = std::clamp(running + partial, 0.0, 1.0);
        if (f > kMinCoverageFraction)
          out.push_back({row, static_cast<int32_t>(col), static_cast<int32_t>(col + 1), f});
        running += carry;
        next = col + 1;
      }
      emit_run(out, row, next, width_, running);
    }
    return out;
  }

 private:
  // Between edge pieces a row's coverage is the vertical extent accumulated so far: 1 inside,
  // 0 outside, a fraction in rows holding a vertex. Snap round-off near whole numbers.
  static void emit_run(std::vector<CoverageRun>& out, int32_t row, int64_t begin, int64_t end,
                       double winding) {
    if (end <= begin) return;
    const double whole = std::nearbyint(winding);
    const double f = std::clamp(std::abs(winding - whole) < 1e-12 ? whole : winding, 0.0, 1.0);
    if (f <= kMinCoverageFraction) return;
    out.push_back({row, static_cast<int32_t>(begin), static_cast<int32_t>(end), f});
  }

  void add_edge(CellPoint p, CellPoint q, double sign) {
    if (p.y == q.y) return;  // horizontal edges enclose no area in this formulation
    const double dir = (q.y > p.y ? 1.0 : -1.0) * sign;
    const CellPoint& top = p.y < q.y ? p : q;
    const CellPoint& bottom = p.y < q.y ? q : p;
    const double dxdy = (bottom.x - top.x) / (bottom.y - top.y);
    const int64_t r0 = std::max<int64_t>(rows_.first, static_cast<int64_t>(std::floor(top.y)));
    const int64_t r1 = std::min<int64_t>(rows_.last, static_cast<int64_t>(std::ceil(bottom.y)) - 1);
    for (int64_t r = r0; r <= r1; ++r) {
      const double ya = std::max(top.y, static_cast<double>(r));
      const double yb = std::min(bottom.y, static_cast<double>(r + 1));
      if (yb <= ya) continue;
      const double xa = ya == top.y ? top.x : top.x + (ya - top.y) * dxdy;
      const double xb = yb == bottom.y ? bottom.x : top.x + (yb - top.y) * dxdy;
      add_row_piece(static_cast<int32_t>(r), xa, xb, (yb - ya) * dir);
    }
  }

  void add_row_piece(int32_t row, double xa, double xb, double dy) {
    double xmin = std::min(xa, xb);
    const double xmax = std::max(xa, xb);
    const auto w = static_cast<double>(width_);
    if (xmin >= w) return;  // right of the grid: covers no cell of it
    if (xmax <= 0) {        // left of the grid: every cell of the row is to its right
      entries_.push_back({row, 0, dy, dy});
      return;
    }
    if (xmax == xmin) {
      const double k = std::floor(xmin);
      entries_.push_back({row, static_cast<int32_t>(k), dy * (1.0 - (xmin - k)), dy});
      return;
    }
    const double span = xmax - xmin;
    if (xmin < 0) {
      const double left = dy * (-xmin) / span;
      entries_.push_back({row, 0, left, left});
      xmin = 0;
    }
    const auto k0 = static_cast<int64_t>(std::floor(xmin));
    const auto k1 = std::min<int64_t>(width_ - 1, static_cast<int64_t>(std::floor(xmax)));
    for (int64_t k = k0; k <= k1; ++k) {
      const double lo = std::max(xmin, static_cast<double>(k));
      const double hi = std::min(xmax, static_cast<double>(k + 1));
      if (hi <= lo) continue;
      const double part = dy * (hi - lo) / span;
      const double mid = 0.5 * (lo + hi) - static_cast<double>(k);
      entries_.push_back({row, static_cast<int32_t>(k), part * (1.0 - mid), part});
    }
  }

  int64_t width_;
  RowRange rows_;
  std::vector<CellEntry> entries_;
};

std::vector<CoverageRun> center_coverage(const std::vector<Ring>& rings, int64_t width, RowRange rows) {
  std::vector<std::vector<double>> crossings(rows.count());
  for (const auto& ring : rings) {
    const auto& p = ring.points;
    const size_t n = p.size();
    if (n < 3) continue;
    for (size_t i = 0; i < n; ++i) {
      const CellPoint& a = p[i];
      const CellPoint& b = p[(i + 1) % n];
      if (a.y == b.y) continue;
      const double ylo = std::min(a.y, b.y), yhi = std::max(a.y, b.y);
      // Rows whose centre r + 0.5 lies in [ylo, yhi).
      const auto r0 = std::max<int64_t>(rows.first, static_cast<int64_t>(std::ceil(ylo - 0.5)));
      const auto r1 = std::min<int64_t>(rows.last, static_cast<int64_t>(std::ceil(yhi - 0.5)) - 1);
      for (int64_t r = r0; r <= r1; ++r) {
        const double yc = static_cast<double>(r) + 0.5;
        if (!(ylo <= yc && yc < yhi)) continue;
        crossings[r - rows.first].push_back(a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y));
      }
    }
  }
  std::vector<CoverageRun> out;
  for (int64_t b = 0; b < rows.count(); ++b) {
    auto& xs = crossings[b];
    std::sort(xs.begin(), xs.end());
    for (size_t i = 0; i + 1 < xs.size(); i += 2) {
      // Centres c + 0.5 in [xs[i], xs[i+1]).
      const double c0 = std::max(0.0, std::ceil(xs[i] - 0.5));
      const double c1 = std::min(static_cast<double>(width), std::ceil(xs[i + 1] - 0.5));
      if (c1 > c0)
        out.push_back({static_cast<int32_t>(rows.first + b), static_cast<int32_t>(c0),
                       static_cast<int32_t>(c1), 1.0});
    }
  }
  return out;
}

}  // namespace

std::vector<CoverageRun> polygon_coverage(const std::vector<Ring>& rings, int64_t width,
                                          int64_t height, CoverageMode mode) {
  const RowRange rows = rows_touched(rings, height);
  if (rows.count() <= 0 || width <= 0) return {};
  if (mode == CoverageMode::center) return center_coverage(rings, width, rows);
  ExactRasterizer raster(width, rows);
  for (const auto& ring : rings) raster.add_ring(ring);
  auto runs = raster.runs();
  if (mode == CoverageMode::all_touched)
    for (auto& r : runs) r.fraction = 1.0;
  return runs;
}

}  // namespace nl
