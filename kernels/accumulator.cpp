// Accumulators: the one-pass window kernel, Chan's merge and each statistic's value.
#include "kernels/accumulator.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace nl {

void ZoneAccumulator::merge(const ZoneAccumulator& o) {
  if (o.count > 0) {
    if (count > 0) {
      const double delta = o.mean() - mean();
      m2 = m2 + o.m2 + delta * delta * (count * o.count / (count + o.count));
    } else {
      m2 = o.m2;
    }
  }
  count += o.count;
  nodata_count += o.nodata_count;
  valid_area += o.valid_area;
  nodata_area += o.nodata_area;
  sum += o.sum;
  sum_area += o.sum_area;
  lit_area += o.lit_area;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

namespace {

// The one pass behind both overloads. Row areas (kPerCell false): a cell's area is its row's,
// so a run's area-weighted sums are its plain sums times that area. Cell areas: each cell's
// own area enters the run's sums.
template <bool kPerCell>
void accumulate(const xt::xtensor<double, 2>& raw, std::span<const double> row_area_km2,
                const xt::xtensor<double, 2>* cell_area_km2, std::span<const WindowRun> runs,
                const PreprocessOptions& preprocess, double lit_threshold,
                std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials) {
  const ValuePreprocessor physical(preprocess);
  const size_t ncols = raw.shape()[1];
  const double* data = raw.data();
  size_t i = 0;
  while (i < runs.size()) {
    const uint32_t zone = runs[i].zone;
    ZoneAccumulator acc;
    // One pass: the variance from sums of deviations from a shift K (the group's first valid
    // value), which keeps Σd² − (Σd)²/n free of cancellation as long as K is near the data.
    double shift = std::numeric_limits<double>::quiet_NaN();
    double wsd = 0, wsd2 = 0;
    for (; i < runs.size() && runs[i].zone == zone; ++i) {
      const WindowRun& run = runs[i];
      const double* v = data + static_cast<size_t>(run.row) * ncols;
      const double* a = kPerCell ? cell_area_km2->data() + static_cast<size_t>(run.row) * ncols : nullptr;
      double n = 0, nodata = 0, s = 0, sd = 0, sd2 = 0, lit = 0;
      double va = 0, na = 0, sa = 0, la = 0;  // per-cell areas only
      double mn = acc.min, mx = acc.max;
      for (int32_t c = run.col_begin; c < run.col_end; ++c) {
        const double x = physical(v[c]);
        if (std::isnan(x)) {
          nodata += 1;
          if constexpr (kPerCell) na += a[c];
          continue;
        }
        if (std::isnan(shift)) shift = x;
        const double d = x - shift;
        n += 1;
        s += x;
        sd += d;
        sd2 += d * d;
        lit += x > lit_threshold ? 1.0 : 0.0;
        if constexpr (kPerCell) {
          va += a[c];
          sa += a[c] * x;
          la += x > lit_threshold ? a[c] : 0.0;
        }
        mn = std::min(mn, x);
        mx = std::max(mx, x);
      }
      const double f = run.fraction;
      acc.count += f * n;
      acc.nodata_count += f * nodata;
      acc.sum += f * s;
      if constexpr (kPerCell) {
        acc.valid_area += f * va;
        acc.nodata_area += f * na;
        acc.sum_area += f * sa;
        acc.lit_area += f * la;
      } else {
        const double area = row_area_km2[run.row];
        acc.valid_area += f * area * n;
        acc.nodata_area += f * area * nodata;
        acc.sum_area += f * area * s;
        acc.lit_area += f * area * lit;
      }
      acc.min = mn;
      acc.max = mx;
      wsd += f * sd;
      wsd2 += f * sd2;
    }
    if (acc.count > 0) acc.m2 = std::max(0.0, wsd2 - wsd * wsd / acc.count);
    partials.emplace_back(zone, acc);
  }
}

}  // namespace

void accumulate_window(const xt::xtensor<double, 2>& raw, std::span<const double> row_area_km2,
                       std::span<const WindowRun> runs, const PreprocessOptions& preprocess,
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials) {
  accumulate<false>(raw, row_area_km2, nullptr, runs, preprocess, lit_threshold, partials);
}

void accumulate_window(const xt::xtensor<double, 2>& raw, const xt::xtensor<double, 2>& cell_area_km2,
                       std::span<const WindowRun> runs, const PreprocessOptions& preprocess,
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials) {
  if (cell_area_km2.shape() != raw.shape()) throw std::invalid_argument("cell area window shape differs");
  accumulate<true>(raw, {}, &cell_area_km2, runs, preprocess, lit_threshold, partials);
}

namespace {
constexpr std::pair<Statistic, const char*> kNames[] = {
    {Statistic::count, "count"},
    {Statistic::nodata_count, "nodata_count"},
    {Statistic::valid_area_km2, "valid_area_km2"},
    {Statistic::nodata_area_km2, "nodata_area_km2"},
    {Statistic::valid_fraction, "valid_fraction"},
    {Statistic::sum, "sum"},
    {Statistic::mean, "mean"},
    {Statistic::sum_area, "sum_area"},
    {Statistic::mean_area, "mean_area"},
    {Statistic::lit_area_km2, "lit_area_km2"},
    {Statistic::min, "min"},
    {Statistic::max, "max"},
    {Statistic::stdev, "stdev"},
};
}  // namespace

Statistic parse_statistic(const std::string& name) {
  for (const auto& [s, n] : kNames)
    if (name == n) return s;
  std::string known;
  for (const auto& [s, n] : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
  throw std::invalid_argument("unknown statistic '" + name + "' (known: " + known + ")");
}

const char* statistic_name(Statistic s) {
  for (const auto& [st, n] : kNames)
    if (st == s) return n;
  return "?";
}

std::vector<Statistic> parse_statistics(const std::string& list) {
  std::vector<Statistic> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(parse_statistic(item));
  }
  if (out.empty()) throw std::invalid_argument("no statistics given");
  return out;
}

const std::vector<Statistic>& all_statistics() {
  static const std::vector<Statistic> all = [] {
    std::vector<Statistic> v;
    for (const auto& [s, n] : kNames) v.push_back(s);
    return v;
  }();
  return all;
}

std::optional<double> statistic_value(const ZoneAccumulator& a, Statistic s) {
  const bool any = a.count > 0;
  switch (s) {
    case Statistic::count: return a.count;
    case Statistic::nodata_count: return a.nodata_count;
    case Statistic::valid_area_km2: return a.valid_area;
    case Statistic::nodata_area_km2: return a.nodata_area;
    case Statistic::valid_fraction: {
      const double total = a.valid_area + a.nodata_area;
      if (total > 0) return a.valid_area / total;
      return std::nullopt;
    }
    case Statistic::sum: return a.sum;
    case Statistic::mean: return any ? std::optional(a.mean()) : std::nullopt;
    case Statistic::sum_area: return a.sum_area;
    case Statistic::mean_area:
      return a.valid_area > 0 ? std::optional(a.sum_area / a.valid_area) : std::nullopt;
    case Statistic::lit_area_km2: return a.lit_area;
    case Statistic::min: return any ? std::optional(a.min) : std::nullopt;
    case Statistic::max: return any ? std::optional(a.max) : std::nullopt;
    case Statistic::stdev:
      return any ? std::optional(std::sqrt(std::max(0.0, a.m2 / a.count))) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace nl
