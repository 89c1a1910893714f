// Per-zone statistics accumulators over coverage-weighted, area-weighted cells, and the kernel
// that feeds one window of values into them. Accumulators merge exactly in a fixed order, so
// threads, MPI ranks and admin levels combine without a second pass over pixels.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "kernels/preprocess.hpp"

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

  double mean() const { return sum / count; }
  // Chan et al.'s pairwise update for m2; every other field adds.
  void merge(const ZoneAccumulator& other);
  bool operator==(const ZoneAccumulator&) const = default;
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
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials);
// The same with each cell's own area (a projected grid whose cell areas vary along rows too).
void accumulate_window(const xt::xtensor<double, 2>& raw, const xt::xtensor<double, 2>& cell_area_km2,
                       std::span<const WindowRun> runs, const PreprocessOptions& preprocess,
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials);

// The statistics of DESIGN.md's table, by name.
enum class Statistic {
  count, nodata_count, valid_area_km2, nodata_area_km2, valid_fraction, sum, mean, sum_area,
  mean_area, lit_area_km2, min, max, stdev
};
Statistic parse_statistic(const std::string& name);  // throws std::invalid_argument
const char* statistic_name(Statistic s);
std::vector<Statistic> parse_statistics(const std::string& comma_separated);
const std::vector<Statistic>& all_statistics();

// The value of a statistic, or nothing where it is undefined (mean of no valid cells, …).
std::optional<double> statistic_value(const ZoneAccumulator& a, Statistic s);

}  // namespace nl
