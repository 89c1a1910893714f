// Colour scales for the maps: ramps, class breaks and the class of a value (see colour_scale.hpp).
#include "kernels/colour_scale.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nl {

Rgb ramp_colour(const std::vector<Rgb>& control, double t) {
  if (control.empty()) return {};
  t = std::clamp(t, 0.0, 1.0);
  if (control.size() == 1) return control[0];
  const double x = t * static_cast<double>(control.size() - 1);
  const size_t i = std::min(static_cast<size_t>(x), control.size() - 2);
  const double f = x - static_cast<double>(i);
  auto mix = [f](uint8_t a, uint8_t b) { return static_cast<uint8_t>(std::lround(a + (b - a) * f)); };
  return {mix(control[i].r, control[i + 1].r), mix(control[i].g, control[i + 1].g), mix(control[i].b, control[i + 1].b)};
}

// Control points sampled from matplotlib's magma (perceptually ordered, made for dark-to-light).
const std::vector<Rgb>& light_ramp() {
  static const std::vector<Rgb> r{{0, 0, 4},      {28, 16, 68},   {79, 18, 123},  {129, 37, 129},
                                  {181, 54, 122}, {229, 80, 100}, {251, 135, 97}, {254, 194, 135},
                                  {252, 253, 191}};
  return r;
}

// Blue for brighter than the reference (negative gaps), orange for darker: ColorBrewer PuOr-like
// ends, distinguishable with every common colour-vision deficiency.
const std::vector<Rgb>& diverging_ramp() {
  static const std::vector<Rgb> r{{33, 102, 172}, {103, 169, 207}, {209, 229, 240}, {247, 247, 247},
                                  {253, 219, 199}, {239, 138, 98},  {178, 24, 43}};
  return r;
}

int ClassScale::class_of(double v) const {
  return static_cast<int>(std::upper_bound(breaks.begin(), breaks.end(), v) - breaks.begin());
}

double round_to_two_digits(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double p = std::pow(10.0, std::floor(std::log10(std::fabs(v))) - 1);
  return std::round(v / p) * p;
}

namespace {
double percentile(std::vector<double>& v, double q) {
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::floor(q * static_cast<double>(v.size() - 1))));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}
}  // namespace

ClassScale log_light_scale(std::vector<double> values, int classes) {
  std::erase_if(values, [](double v) { return !(v > 0) || !std::isfinite(v); });
  ClassScale s;
  if (values.empty() || classes < 2) {
    s.colours = {ramp_colour(light_ramp(), 0.7)};
    return s;
  }
  double lo = percentile(values, 0.02), hi = percentile(values, 0.98);
  if (!(hi > lo)) hi = lo * 10;
  const double step = (std::log(hi) - std::log(lo)) / (classes - 2);
  for (int i = 0; i < classes - 1; ++i) {
    const double b = round_to_two_digits(std::exp(std::log(lo) + step * i));
    if (s.breaks.empty() || b > s.breaks.back()) s.breaks.push_back(b);
  }
  // The darkest class stays visible against the near-black background.
  const size_t n = s.breaks.size() + 1;
  for (size_t i = 0; i < n; ++i)
    s.colours.push_back(ramp_colour(light_ramp(), 0.22 + 0.78 * static_cast<double>(i) / static_cast<double>(n - 1)));
  return s;
}

// Each side's breaks are quantiles of that side's values (a gap is at most 1 on the darker side
// and skewed there, unbounded on the brighter one): equal-count classes spend every colour on
// values that occur, where equal intervals would leave most units in one class.
ClassScale diverging_scale(std::vector<double> values, int per_side) {
  std::vector<double> below, above;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v < 0) below.push_back(-v);
    else if (v > 0) above.push_back(v);
  }
  auto side_breaks = [per_side](std::vector<double>& side) {
    std::vector<double> b;
    for (int i = 1; i < per_side; ++i) {
      const double q = side.empty() ? static_cast<double>(i) / per_side
                                    : round_to_two_digits(percentile(side, static_cast<double>(i) / per_side));
      if (q > 0 && (b.empty() || q > b.back())) b.push_back(q);
    }
    return b;
  };
  const auto lo = side_breaks(below), hi = side_breaks(above);
  ClassScale s;
  for (auto it = lo.rbegin(); it != lo.rend(); ++it) s.breaks.push_back(-*it);
  s.breaks.push_back(0);
  for (double b : hi) s.breaks.push_back(b);
  // Colours by distance from 0, so a side with fewer breaks keeps pale near 0 and dark at its end.
  const int below_classes = static_cast<int>(lo.size()) + 1, above_classes = static_cast<int>(hi.size()) + 1;
  for (int i = 0; i < below_classes; ++i)
    s.colours.push_back(ramp_colour(diverging_ramp(), 0.5 - 0.5 * (below_classes - i) / below_classes));
  for (int i = 0; i < above_classes; ++i)
    s.colours.push_back(ramp_colour(diverging_ramp(), 0.5 + 0.5 * (i + 1) / above_classes));
  return s;
}

ClassScale share_scale() {
  ClassScale s;
  s.breaks = {0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99};
  const size_t n = s.breaks.size() + 1;
  for (size_t i = 0; i < n; ++i)
    s.colours.push_back(ramp_colour(light_ramp(), 0.22 + 0.78 * static_cast<double>(i) / static_cast<double>(n - 1)));
  return s;
}

std::string break_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace nl
