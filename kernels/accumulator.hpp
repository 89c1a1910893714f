// Per-zone statistics accumulators over coverage-weighted, area-weighted cells, and the kernel
// that feeds one window of values into them. Accumulators merge exactly in a fixed order, so
// threads, MPI ranks and admin levels combine without a second pass over pixels.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "kernels/grid.hpp"
#include "kernels/preprocess.hpp"
#include "kernels/quantile_sketch.hpp"

namespace nl {

struct ZoneAccumulator {
  double count = 0;         // Σ c over valid cells
  double nodata_count = 0;  // Σ c over no-data cells
  double valid_area = 0;    // Σ c·A over valid cells (km²)
  double nodata_area = 0;   // Σ c·A over no-data cells (km²)
  double sum = 0;           // Σ c·x
  double sum_area = 0;      // Σ c·A·x
  double lit_area = 0;      // Σ c·A over valid cells with x > lit threshold
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double m2 = 0;            // Σ c·(x − mean)², for the coverage-weighted variance
  // Optional parts, filled only when a statistic needs them (AccumulatorNeeds): zero and empty
  // otherwise, so the default statistics pay nothing for them.
  std::array<double, 3> light{};     // Σ c·A·max(x, 0)·(X, Y, Z), cell centres in ECEF (a = 1)
  double light_weight = 0;           // Σ c·A·max(x, 0)
  std::array<double, 3> area_xyz{};  // Σ c·A·(X, Y, Z) over valid cells
  QuantileSketch sketch;             // coverage and coverage × area weights per value bucket

  double mean() const { return sum / count; }
  // Every field of accumulator_fields() in its way (sums add, extremes compare, m2 by Chan et
  // al.'s pairwise update), then the centre sums add and the sketches merge.
  void merge(const ZoneAccumulator& other);
  bool operator==(const ZoneAccumulator&) const = default;
};

// The one list of the accumulator's scalar fields: merging and the MPI wire format follow it.
enum class MergeRule { add, min, max, pairwise_m2 };
struct AccumulatorField {
  const char* name;
  double ZoneAccumulator::*member;
  MergeRule rule;
};
std::span<const AccumulatorField> accumulator_fields();
// A number naming the wire layout (fields, their order, the optional parts): a receiver that
// reads another layout fails instead of reading numbers into the wrong fields.
double accumulator_layout_signature();
// Appends the accumulator's flat form: scalar fields, the centre sums, the sketch (variable).
void pack_accumulator(const ZoneAccumulator& a, std::vector<double>& out);
// Reads one back from p (advanced); throws std::runtime_error when the record runs past `end`.
ZoneAccumulator unpack_accumulator(const double*& p, const double* end);

// What the requested statistics need beyond the default fields.
struct AccumulatorNeeds {
  bool sketch = false;   // quantiles
  bool centre = false;   // light- and area-weighted cell centres
  bool any() const { return sketch || centre; }
  bool operator==(const AccumulatorNeeds&) const = default;
};

// Cell centres of a lon/lat window in geocentric coordinates (units of the semi-major axis):
// X = ρ(φ)·cos λ, Y = ρ(φ)·sin λ, Z = ζ(φ); separable, so a run adds Σw·cos λ and Σw·sin λ.
struct CellCentres {
  std::span<const double> row_rho, row_z;   // per window row: N(φ)·cos φ and N(φ)(1−e²)·sin φ
  std::span<const double> col_cos, col_sin; // per window column: cos λ and sin λ
};
// The geocentric centres of every row and column of a lon/lat grid on WGS84 (the grid's x in
// degrees of longitude, y in degrees of latitude), and the slice of them one window needs.
struct GridCentres {
  std::vector<double> rho, z, cos, sin;
  explicit GridCentres(const GridGeometry& lonlat_grid);
  CellCentres window(const Window& w) const;
};
struct WindowExtras {
  AccumulatorNeeds needs;
  const CellCentres* centres = nullptr;  // required when needs.centre
};

// A piece of a zone's coverage inside one window: window-local row and columns.
struct WindowRun {
  uint32_t zone = 0;
  int32_t row = 0;
  int32_t col_begin = 0;
  int32_t col_end = 0;
  double fraction = 0;
};

// Feeds a window into per-zone partials in one pass. `raw` holds the band's raw values (NaN
// where a quality mask removed a cell); each covered cell is preprocessed on the fly (only
// covered cells are touched). `row_area_km2[r]` is the cell area of window row r; `runs` are
// grouped by zone (each zone's runs contiguous). Appends one (zone, partial) per zone group.
void accumulate_window(const xt::xtensor<double, 2>& raw, std::span<const double> row_area_km2,
                       std::span<const WindowRun> runs, const PreprocessOptions& preprocess,
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials,
                       const WindowExtras& extras = {});
// The same with each cell's own area (a projected grid whose cell areas vary along rows too).
void accumulate_window(const xt::xtensor<double, 2>& raw, const xt::xtensor<double, 2>& cell_area_km2,
                       std::span<const WindowRun> runs, const PreprocessOptions& preprocess,
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials,
                       const WindowExtras& extras = {});

}  // namespace nl
