// Grid geometry, accumulation tiles and block-aligned read windows.
#include "kernels/grid.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace nl {

bool GridGeometry::same_grid(const GridGeometry& o, double tolerance_cells) const {
  if (width != o.width || height != o.height) return false;
  auto rel = [](double a, double b) { return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b)); };
  if (!rel(cell_width, o.cell_width) || !rel(cell_height, o.cell_height)) return false;
  return std::abs(origin_x - o.origin_x) <= tolerance_cells * std::abs(cell_width) &&
         std::abs(origin_y - o.origin_y) <= tolerance_cells * std::abs(cell_height);
}

std::string GridGeometry::describe() const {
  std::ostringstream s;
  s.precision(12);
  s << width << "x" << height << " cells, origin (" << origin_x << ", " << origin_y << "), cell ("
    << cell_width << ", " << cell_height << ")";
  return s.str();
}

Window WindowLayout::window(int64_t index) const {
  const int64_t wr = index / window_cols(), wc = index % window_cols();
  const int64_t r = wr * rows_per_window, c = wc * cols_per_window;
  return {r, c, std::min(rows_per_window, height - r), std::min(cols_per_window, width - c)};
}

WindowLayout block_aligned_layout(int64_t width, int64_t height, int64_t block_width,
                                  int64_t block_height, int64_t target_cells) {
  WindowLayout layout{width, height, 1, 1};
  if (width <= 0 || height <= 0) return layout;
  block_width = std::clamp<int64_t>(block_width, 1, width);
  block_height = std::clamp<int64_t>(block_height, 1, height);
  layout.rows_per_window = block_height;
  layout.cols_per_window = block_width;
  if (block_width >= width) {
    const int64_t strips = std::max<int64_t>(1, target_cells / (block_height * width));
    layout.rows_per_window = std::min(height, strips * block_height);
  }
  return layout;
}

WindowLayout accumulation_layout(int64_t width, int64_t height) {
  return {width, height, kAccumulationTile, kAccumulationTile};
}

namespace {

constexpr int64_t kMaxReadSide = 4096;

int64_t round_up(int64_t n, int64_t step) { return (n + step - 1) / step * step; }

int64_t read_side(int64_t block, int64_t extent, int64_t tile) {
  const int64_t whole = round_up(std::max<int64_t>(extent, 1), tile);
  if (block <= 0 || block >= extent) return whole;
  const int64_t common = std::lcm(block, tile);
  if (common <= kMaxReadSide) return std::min(common, whole);
  if (whole <= kMaxReadSide) return whole;
  return round_up(block, tile);
}

}  // namespace

WindowLayout read_layout(const WindowLayout& tiles, int64_t block_width, int64_t block_height) {
  WindowLayout layout{tiles.width, tiles.height, 1, 1};
  layout.rows_per_window = read_side(block_height, tiles.height, tiles.rows_per_window);
  layout.cols_per_window = read_side(block_width, tiles.width, tiles.cols_per_window);
  return layout;
}

}  // namespace nl
