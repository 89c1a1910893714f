// Accumulating windows into per-zone accumulators, their field list (merging and the MPI wire
// format follow it) and the geocentric cell centres behind the centre of light.
#include "kernels/accumulator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace nl {

namespace {
constexpr AccumulatorField kFields[] = {
    {"count", &ZoneAccumulator::count, MergeRule::add},
    {"nodata_count", &ZoneAccumulator::nodata_count, MergeRule::add},
    {"valid_area", &ZoneAccumulator::valid_area, MergeRule::add},
    {"nodata_area", &ZoneAccumulator::nodata_area, MergeRule::add},
    {"sum", &ZoneAccumulator::sum, MergeRule::add},
    {"sum_area", &ZoneAccumulator::sum_area, MergeRule::add},
    {"lit_area", &ZoneAccumulator::lit_area, MergeRule::add},
    {"min", &ZoneAccumulator::min, MergeRule::min},
    {"max", &ZoneAccumulator::max, MergeRule::max},
    {"m2", &ZoneAccumulator::m2, MergeRule::pairwise_m2},
    {"light_weight", &ZoneAccumulator::light_weight, MergeRule::add},
};
constexpr size_t kCentreFields = 6;  // light and area_xyz, after the scalars
}  // namespace

std::span<const AccumulatorField> accumulator_fields() { return kFields; }

double accumulator_layout_signature() {
  // FNV-1a over the field names and the optional parts' shapes, kept below 2^53 so it travels
  // exactly as a double.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const char* s) {
    for (; *s; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 1099511628211ULL;
    h = (h ^ '|') * 1099511628211ULL;
  };
  for (const auto& f : kFields) mix(f.name);
  mix("light3,area_xyz3,sketch(log,n,(key,w,wa)*n)");
  return static_cast<double>(h >> 11);
}

GridCentres::GridCentres(const GridGeometry& g) {
  constexpr double e2 = 6.69437999014e-3, rad = std::numbers::pi / 180;  // WGS84
  for (int64_t r = 0; r < g.height; ++r) {
    const double phi = g.y_of_row(static_cast<double>(r) + 0.5) * rad;
    const double n = 1 / std::sqrt(1 - e2 * std::sin(phi) * std::sin(phi));  // in units of a
    rho.push_back(n * std::cos(phi));
    z.push_back(n * (1 - e2) * std::sin(phi));
  }
  for (int64_t c = 0; c < g.width; ++c) {
    const double lambda = g.x_of_col(static_cast<double>(c) + 0.5) * rad;
    cos.push_back(std::cos(lambda));
    sin.push_back(std::sin(lambda));
  }
}

CellCentres GridCentres::window(const Window& w) const {
  const auto r0 = static_cast<size_t>(w.row0), c0 = static_cast<size_t>(w.col0);
  const auto nr = static_cast<size_t>(w.rows), nc = static_cast<size_t>(w.cols);
  return {{rho.data() + r0, nr}, {z.data() + r0, nr}, {cos.data() + c0, nc}, {sin.data() + c0, nc}};
}

void ZoneAccumulator::merge(const ZoneAccumulator& o) {
  // m2 first: its update reads both counts and means before the sums change.
  if (o.count > 0) {
    if (count > 0) {
      const double delta = o.mean() - mean();
      m2 = m2 + o.m2 + delta * delta * (count * o.count / (count + o.count));
    } else {
      m2 = o.m2;
    }
  }
  for (const auto& f : kFields) {
    double& mine = this->*f.member;
    const double theirs = o.*f.member;
    switch (f.rule) {
      case MergeRule::add: mine += theirs; break;
      case MergeRule::min: mine = std::min(mine, theirs); break;
      case MergeRule::max: mine = std::max(mine, theirs); break;
      case MergeRule::pairwise_m2: break;  // above
    }
  }
  for (size_t k = 0; k < 3; ++k) {
    light[k] += o.light[k];
    area_xyz[k] += o.area_xyz[k];
  }
  sketch.merge(o.sketch);
}

void pack_accumulator(const ZoneAccumulator& a, std::vector<double>& out) {
  for (const auto& f : kFields) out.push_back(a.*f.member);
  out.insert(out.end(), a.light.begin(), a.light.end());
  out.insert(out.end(), a.area_xyz.begin(), a.area_xyz.end());
  a.sketch.pack(out);
}

ZoneAccumulator unpack_accumulator(const double*& p, const double* end) {
  constexpr size_t fixed = std::size(kFields) + kCentreFields;
  if (static_cast<size_t>(end - p) < fixed) throw std::runtime_error("accumulator record cut short");
  ZoneAccumulator a;
  for (const auto& f : kFields) a.*f.member = *p++;
  for (double& v : a.light) v = *p++;
  for (double& v : a.area_xyz) v = *p++;
  a.sketch = QuantileSketch::unpack(p, end);
  return a;
}

namespace {

// The one pass behind both overloads. Row areas (kPerCell false): a cell's area is its row's,
// so a run's area-weighted sums are its plain sums times that area. Cell areas: each cell's
// own area enters the run's sums.
// kExtras: the optional parts (sketch, centres) are fed too; a separate instantiation, so the
// default statistics run the loop they always ran.
// Physical: ValuePreprocessor, or NodataOnlyPreprocessor where the options allow (same bits).
template <bool kPerCell, bool kExtras, class Physical>
void accumulate(const xt::xtensor<double, 2>& raw, std::span<const double> row_area_km2,
                const xt::xtensor<double, 2>* cell_area_km2, std::span<const WindowRun> runs,
                const Physical& physical, double lit_threshold,
                std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials, const WindowExtras& extras) {
  thread_local SketchBuilder builder;
  const bool want_sketch = kExtras && extras.needs.sketch;
  const bool want_centre = kExtras && extras.needs.centre;
  if (want_centre && !extras.centres) throw std::invalid_argument("centre statistics need the cells' centres");
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
      const double f = run.fraction;
      [[maybe_unused]] const double run_area = kPerCell ? 0.0 : row_area_km2[run.row];
      [[maybe_unused]] double lw = 0, lc = 0, ls = 0, aw = 0, ac = 0, as = 0;  // centre sums
      int32_t c = run.col_begin;
      // Until the group's first valid value sets the shift, each cell is checked for it; the
      // main loop below then runs without that check.
      if (std::isnan(shift)) {
        for (; c < run.col_end; ++c) {
          if (const double x = physical(v[c]); !std::isnan(x)) {
            shift = x;
            break;
          }
          nodata += 1;
          if constexpr (kPerCell) na += a[c];
        }
      }
      for (; c < run.col_end; ++c) {
        const double x = physical(v[c]);
        if (std::isnan(x)) {
          nodata += 1;
          if constexpr (kPerCell) na += a[c];
          continue;
        }
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
        if constexpr (kExtras) {
          const double cell_area = kPerCell ? a[c] : run_area;
          if (want_sketch) builder.add(x, f, f * cell_area);
          if (want_centre) {
            const double wl = cell_area * std::max(x, 0.0);
            const double cc = extras.centres->col_cos[c], cs = extras.centres->col_sin[c];
            lw += wl, lc += wl * cc, ls += wl * cs;
            aw += cell_area, ac += cell_area * cc, as += cell_area * cs;
          }
        }
      }
      if constexpr (kExtras) {
        if (want_centre) {
          const double rho = extras.centres->row_rho[run.row], z = extras.centres->row_z[run.row];
          acc.light_weight += f * lw;
          acc.light[0] += f * rho * lc, acc.light[1] += f * rho * ls, acc.light[2] += f * z * lw;
          acc.area_xyz[0] += f * rho * ac, acc.area_xyz[1] += f * rho * as, acc.area_xyz[2] += f * z * aw;
        }
      }
      acc.count += f * n;
      acc.nodata_count += f * nodata;
      acc.sum += f * s;
      if constexpr (kPerCell) {
        acc.valid_area += f * va;
        acc.nodata_area += f * na;
        acc.sum_area += f * sa;
        acc.lit_area += f * la;
      } else {
        const double area = run_area;
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
    if (want_sketch) acc.sketch = builder.finish();
    partials.emplace_back(zone, std::move(acc));
  }
}

// One instantiation per combination of area kind, extras and preprocessing, chosen per window.
template <bool kPerCell>
void accumulate_dispatch(const xt::xtensor<double, 2>& raw, std::span<const double> row_area_km2,
                         const xt::xtensor<double, 2>* cell_area_km2, std::span<const WindowRun> runs,
                         const PreprocessOptions& preprocess, double lit_threshold,
                         std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials, const WindowExtras& extras) {
  auto with = [&]<bool kExtras>(const auto& physical) {
    accumulate<kPerCell, kExtras>(raw, row_area_km2, cell_area_km2, runs, physical, lit_threshold, partials, extras);
  };
  const bool plain = NodataOnlyPreprocessor::applies(preprocess);
  if (extras.needs.any()) {
    if (plain) with.template operator()<true>(NodataOnlyPreprocessor(preprocess));
    else with.template operator()<true>(ValuePreprocessor(preprocess));
  } else {
    if (plain) with.template operator()<false>(NodataOnlyPreprocessor(preprocess));
    else with.template operator()<false>(ValuePreprocessor(preprocess));
  }
}

}  // namespace

void accumulate_window(const xt::xtensor<double, 2>& raw, std::span<const double> row_area_km2,
                       std::span<const WindowRun> runs, const PreprocessOptions& preprocess,
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials,
                       const WindowExtras& extras) {
  accumulate_dispatch<false>(raw, row_area_km2, nullptr, runs, preprocess, lit_threshold, partials, extras);
}

void accumulate_window(const xt::xtensor<double, 2>& raw, const xt::xtensor<double, 2>& cell_area_km2,
                       std::span<const WindowRun> runs, const PreprocessOptions& preprocess,
                       double lit_threshold, std::vector<std::pair<uint32_t, ZoneAccumulator>>& partials,
                       const WindowExtras& extras) {
  if (cell_area_km2.shape() != raw.shape()) throw std::invalid_argument("cell area window shape differs");
  accumulate_dispatch<true>(raw, {}, &cell_area_km2, runs, preprocess, lit_threshold, partials, extras);
}

}  // namespace nl
