// Exact coverage of raster cells by polygons: for each cell, the fraction of its area inside the
// polygon, returned as row runs (interior runs of fraction 1 and single boundary cells).
// Coordinates are in cell units (x = column, y = row, both continuous; cell (r, c) spans
// [c, c+1) × [r, r+1)); the pipeline converts from the raster CRS.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nl {

struct CellPoint {
  double x = 0, y = 0;
};

// One ring of a polygon; rings of all parts of a multipolygon go into one list. Orientation does
// not matter: exteriors count positive and holes negative whatever their winding.
struct Ring {
  std::vector<CellPoint> points;  // closed or not; the closing edge is implied
  bool hole = false;
};

enum class CoverageMode { exact, center, all_touched };
CoverageMode parse_coverage_mode(const std::string& name);  // throws std::invalid_argument
const char* coverage_mode_name(CoverageMode mode);

// Cells [col_begin, col_end) of `row`, each covered by `fraction` (in (0, 1]).
struct CoverageRun {
  int32_t row = 0;
  int32_t col_begin = 0;
  int32_t col_end = 0;
  double fraction = 0;
  bool operator==(const CoverageRun&) const = default;
};

// Fractions below this are round-off of an edge lying on a grid line, not coverage.
inline constexpr double kMinCoverageFraction = 1e-12;

// Coverage of a (multi)polygon over a width × height grid, rows ascending, columns ascending
// within a row. `exact`: area fractions, exact for straight edges (trapezoids per cell, row
// prefix sums). `center`: 1 where the cell centre is inside by the even-odd rule, a centre on
// an edge decided half-open (edge spans y0 <= y < y1; crossings at x <= centre count).
// `all_touched`: 1 where the exact fraction is > kMinCoverageFraction. Parts outside the grid
// are clipped away.
std::vector<CoverageRun> polygon_coverage(const std::vector<Ring>& rings, int64_t width,
                                          int64_t height, CoverageMode mode);

// Signed shoelace area of a ring in cell units (the standard formula; its sign is the winding).
double ring_signed_area(const std::vector<CellPoint>& points);

// Σ fraction over the runs: the covered area in cell units.
double covered_cells(const std::vector<CoverageRun>& runs);

}  // namespace nl
