// A north-up raster grid (origin, cell size, dimensions) and its block-aligned windows.
// Pure value types: no GDAL; the pipeline fills them from a dataset's geotransform.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nl {

struct GridGeometry {
  double origin_x = 0;     // west edge of column 0
  double origin_y = 0;     // north edge of row 0
  double cell_width = 1;   // > 0
  double cell_height = -1; // < 0 for north-up grids
  int64_t width = 0;
  int64_t height = 0;

  double col_of_x(double x) const { return (x - origin_x) / cell_width; }
  double row_of_y(double y) const { return (y - origin_y) / cell_height; }
  double x_of_col(double col) const { return origin_x + col * cell_width; }
  double y_of_row(double row) const { return origin_y + row * cell_height; }

  // Grids equal within `tolerance_cells` of a cell on origin and within a relative 1e-6 on
  // cell size: products store 1/240° rounded, so exact == would reject matching grids.
  bool same_grid(const GridGeometry& other, double tolerance_cells = 1e-3) const;
  std::string describe() const;
};

// A rectangle of cells: rows [row0, row0+rows), columns [col0, col0+cols).
struct Window {
  int64_t row0 = 0, col0 = 0, rows = 0, cols = 0;
  int64_t cells() const { return rows * cols; }
};

// A regular tiling of the raster into windows aligned to its blocks, numbered row-major.
struct WindowLayout {
  int64_t width = 0, height = 0;
  int64_t rows_per_window = 1, cols_per_window = 1;
  int64_t window_rows() const { return (height + rows_per_window - 1) / rows_per_window; }
  int64_t window_cols() const { return (width + cols_per_window - 1) / cols_per_window; }
  int64_t count() const { return width > 0 && height > 0 ? window_rows() * window_cols() : 0; }
  Window window(int64_t index) const;
};

// The accumulation tiles: a fixed tiling of the grid, anchored at its origin, in whose order
// every zone's partial sums are formed and merged. It depends on the grid alone, never on how
// the file is blocked, so a GeoTIFF, a VRT, a COG or an HDF5 tile holding the same pixels give
// the same bits (floating-point sums depend on their order).
constexpr int64_t kAccumulationTile = 256;
WindowLayout accumulation_layout(int64_t width, int64_t height);

// The windows the reader decodes: whole accumulation tiles, each side a common multiple of the
// file's block and the tile where that stays small (every block decoded once), else the whole
// extent where that is small, else the block rounded up to tiles (a block on a window's edge is
// then decoded by both windows). Striped files get full-width windows.
WindowLayout read_layout(const WindowLayout& tiles, int64_t block_width, int64_t block_height);

// Windows of one block each; striped rasters (block as wide as the raster) get several strips
// per window so that a window holds about `target_cells` cells.
WindowLayout block_aligned_layout(int64_t width, int64_t height, int64_t block_width,
                                  int64_t block_height, int64_t target_cells = 1 << 18);

}  // namespace nl
