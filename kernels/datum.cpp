// GCJ-02 ↔ WGS84 conversion (forward formula and its fixed-point inverse).
#include "kernels/datum.hpp"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <type_traits>

namespace nl {

namespace {

// Krasovsky 1940: GCJ-02 expresses its offset in metres on this ellipsoid, not on WGS84.
constexpr double kSemiMajor = 6378245.0;
constexpr double kEccSquared = 0.00669342162296594323;

bool outside_china_box(double lon, double lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

// Two points at once: a pair of doubles in one SSE2 register (GCC/Clang vector extension; on
// other targets the compiler's own 128-bit vectors, or lanes one by one).
// Every operation below is an IEEE operation lane by lane, in the scalar code's order, so each
// lane's result is bit-identical to the scalar code's (the build keeps -ffp-contract=off: no
// fused multiply-adds). Only sincos stays scalar.
// Where the processor has AVX2 or AVX-512 (checked at run time: the build targets plain x86-64),
// four or eight points at once in a 256- or 512-bit register, by the same rule: 4 M points take
// 0.37 s two at a time, 0.24 s four and 0.19 s eight at a time on the benchmark machine.
typedef double Pair __attribute__((vector_size(16)));
#ifdef __x86_64__
#define NL_HAVE_WIDE_VECTORS 1
typedef double Quad __attribute__((vector_size(32)));
typedef double Oct __attribute__((vector_size(64)));
// Quad and Oct code is inlined whole into the one function compiled for its instruction set
// (flatten, below) and never passed between functions compiled without it: the compilers' note
// that such a vector's ABI differs without AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// The lanes of a vector type (1 for a double).
template <typename T>
constexpr int kLanes = sizeof(T) / sizeof(double);

double root(double v) { return std::sqrt(v); }
#ifdef __SSE2__
Pair root(Pair v) { return Pair(_mm_sqrt_pd(__m128d(v))); }
#else
Pair root(Pair v) { return Pair{std::sqrt(v[0]), std::sqrt(v[1])}; }  // elsewhere: lane by lane, as exact
#endif
#if defined(NL_HAVE_WIDE_VECTORS) && !defined(__clang__)
// GCC inlines these into the one function compiled for their instruction set (flatten, below).
// The masked form with every lane on: _mm512_sqrt_pd's undefined pass-through makes GCC 12 warn.
__attribute__((target("avx2"))) inline Quad root(Quad v) { return Quad(_mm256_sqrt_pd(__m256d(v))); }
__attribute__((target("avx512f"))) inline Oct root(Oct v) {
  return Oct(_mm512_mask_sqrt_pd(__m512d(v), 0xFF, __m512d(v)));
}
#else
// Lane by lane (as exact): clang refuses a call passing a wide vector between functions compiled
// for different instruction sets, so an intrinsic's function cannot be called from the templates.
// (Clang builds only the fuzzer and the sanitizer checks here; GCC ~30 % slower this way.)
template <typename T>
T root(T v) {
  for (int k = 0; k < kLanes<T>; ++k) v[k] = std::sqrt(v[k]);
  return v;
}
#endif
double magnitude(double v) { return std::abs(v); }
template <typename T>
T magnitude(T v) {
  typedef long long Bits __attribute__((vector_size(sizeof(T))));
  return T(Bits(v) & INT64_MAX);
}
template <typename T>
T splat(double v) {
  if constexpr (std::is_same_v<T, double>) return v;
  else {
    T out;
    for (int k = 0; k < kLanes<T>; ++k) out[k] = v;
    return out;
  }
}

// The sines the published series needs at one point, (x, y) = (lon − 105°, lat − 35°). sin(6πx)
// and sin(πx) follow from sin(2πx) and sin(πx/3) by sin(3θ) = 3 sin θ − 4 sin³ θ (likewise for
// y), so 7 sines and the latitude's sine and cosine serve both offset series.
template <typename T>
struct SeriesSines {
  T s2x, sx3, sx12, sx30, sy3, sy12, sy30, sin_lat, cos_lat;
};

// The angles whose sines SeriesSines holds, as multiples of π·x or π·y (or of lat in radians).
constexpr double kXFactors[4] = {2.0, 1.0 / 3.0, 1.0 / 12.0, 1.0 / 30.0};
constexpr double kYFactors[3] = {1.0 / 3.0, 1.0 / 12.0, 1.0 / 30.0};

SeriesSines<double> sines_at(double lon, double lat) {
  const double pi = std::numbers::pi;
  const double x = lon - 105.0, y = lat - 35.0, radlat = lat / 180.0 * pi;
  return {std::sin(2.0 * x * pi),    std::sin(x / 3.0 * pi),  std::sin(x / 12.0 * pi),
          std::sin(x / 30.0 * pi),   std::sin(y / 3.0 * pi),  std::sin(y / 12.0 * pi),
          std::sin(y * pi / 30.0),   std::sin(radlat),        std::cos(radlat)};
}

// The offset in degrees at (lon, lat) from the series' sines there: the published series (in
// metre-like units) divided by the Krasovsky meridian and parallel radii of curvature. Its ×2/3
// per group and the radii's divisions are folded into constants; that moves results by a few
// ulps, far inside the published vectors' 1e-9° (the inverse runs this ~3 times per vertex).
template <typename T>
void offset_degrees(T lon, T lat, const SeriesSines<T>& s, T& d_lon, T& d_lat) {
  constexpr double kTwoThirds = 2.0 / 3.0;
  constexpr double kLatScale = 180.0 / (kSemiMajor * (1.0 - kEccSquared) * std::numbers::pi);
  constexpr double kLonScale = 180.0 / (kSemiMajor * std::numbers::pi);
  const T x = lon - 105.0, y = lat - 35.0;
  const T s6x = s.s2x * (3.0 - 4.0 * s.s2x * s.s2x);
  const T sx = s.sx3 * (3.0 - 4.0 * s.sx3 * s.sx3);
  const T sy = s.sy3 * (3.0 - 4.0 * s.sy3 * s.sy3);
  const T common = 20.0 * s6x + 20.0 * s.s2x;
  const T m_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root(magnitude(x)) +
                  kTwoThirds * (common + 20.0 * sy + 40.0 * s.sy3 + 160.0 * s.sy12 + 320.0 * s.sy30);
  const T m_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root(magnitude(x)) +
                  kTwoThirds * (common + 20.0 * sx + 40.0 * s.sx3 + 150.0 * s.sx12 + 300.0 * s.sx30);
  const T magic = 1.0 - kEccSquared * s.sin_lat * s.sin_lat;
  const T sqrt_magic = root(magic);
  d_lat = m_lat * (magic * sqrt_magic) * kLatScale;
  d_lon = m_lon * sqrt_magic * kLonScale / s.cos_lat;
}

template <typename T>
struct SineCosine {
  T sin, cos;
};

// sin and cos of a + t from those of a, for |t| ≤ 0.1: Taylor terms to t⁷ and t⁸ leave errors
// below 3e-15, which move the offset by under 1e-17°. Multiplications only (a division per term
// made this slower than calling sin).
template <typename T>
SineCosine<T> rotate(SineCosine<T> a, T t) {
  const T t2 = t * t;
  const T sin_t = t * (1.0 + t2 * (-1.0 / 6.0 + t2 * (1.0 / 120.0 + t2 * (-1.0 / 5040.0))));
  const T cos_t = 1.0 + t2 * (-0.5 + t2 * (1.0 / 24.0 + t2 * (-1.0 / 720.0 + t2 * (1.0 / 40320.0))));
  return {a.sin * cos_t + a.cos * sin_t, a.cos * cos_t - a.sin * sin_t};
}

template <typename T>
SineCosine<T> add(SineCosine<T> a, SineCosine<T> b) {
  return {a.sin * b.cos + a.cos * b.sin, a.cos * b.cos - a.sin * b.sin};
}

template <typename T>
struct Multiples {
  SineCosine<T> t2, t5, t20, t120;
};

// sin and cos of 2θ, 5θ, 20θ and 120θ from those of θ.
template <typename T>
Multiples<T> multiples(SineCosine<T> t1) {
  Multiples<T> m{};
  m.t2 = add(t1, t1);
  m.t5 = add(add(m.t2, m.t2), t1);
  const SineCosine<T> t10 = add(m.t5, m.t5);
  m.t20 = add(t10, t10);
  const SineCosine<T> t40 = add(m.t20, m.t20);
  m.t120 = add(t40, add(t40, t40));
  return m;
}

// sincos lane by lane: libm's, as the scalar code calls it.
void sine_cosine(double angle, SineCosine<double>& out) { ::sincos(angle, &out.sin, &out.cos); }
template <typename T>
void sine_cosine(T angle, SineCosine<T>& out) {
  for (int k = 0; k < kLanes<T>; ++k) {
    double sine = 0, cosine = 0;  // through doubles: a vector lane has no address in clang
    ::sincos(angle[k], &sine, &cosine);
    out.sin[k] = sine;
    out.cos[k] = cosine;
  }
}

// The series' angles at a base point, from which the inverse's iterates — all within a few
// hundredths of a degree of it — get their sines by rotation instead of by calling sin again:
// 2 sincos per vertex instead of ~24 sines over three forward evaluations. GCJ-02 correction of
// 4 M county vertices is the largest single cost of a cold run.
template <typename T>
class SeriesNear {
 public:
  SeriesNear(T lon, T lat) : lon_(lon), lat_(lat) {
    // Every series angle is a whole multiple of θ = π·x/60 (2θ, 5θ, 20θ, 120θ) or of φ = π·y/60,
    // and φ = 3ψ with ψ = π·y/180, while the latitude in radians is ψ + 35°: so two sincos and
    // the angle-sum rules give them all. Rounding grows at most ~120-fold, to ~1e-14 in a sine,
    // far below 1e-12°.
    const double pi = std::numbers::pi;
    SineCosine<T> theta{}, psi{};
    sine_cosine((lon - 105.0) / 60.0 * pi, theta);
    sine_cosine((lat - 35.0) / 180.0 * pi, psi);
    const Multiples<T> x = multiples(theta), y = multiples(add(add(psi, psi), psi));
    x_[0] = x.t120;
    x_[1] = x.t20;
    x_[2] = x.t5;
    x_[3] = x.t2;
    y_[0] = y.t20;
    y_[1] = y.t5;
    y_[2] = y.t2;
    // sin and cos of 35°, the series' centre latitude.
    const SineCosine<T> centre{splat<T>(std::sin(35.0 / 180.0 * pi)), splat<T>(std::cos(35.0 / 180.0 * pi))};
    lat_sc_ = add(psi, centre);
  }

  // Largest |lon − base| and |lat − base| for which offset() may be used (2π · 0.015 < 0.1).
  static constexpr double kReach = 0.015;

  void offset(T lon, T lat, T& d_lon, T& d_lat) const {
    const double pi = std::numbers::pi;
    const T dx = (lon - lon_) * pi, dy = (lat - lat_) * pi;
    const SineCosine<T> l = rotate(lat_sc_, dy * (1.0 / 180.0));
    const SeriesSines<T> s{rotate(x_[0], kXFactors[0] * dx).sin, rotate(x_[1], kXFactors[1] * dx).sin,
                           rotate(x_[2], kXFactors[2] * dx).sin, rotate(x_[3], kXFactors[3] * dx).sin,
                           rotate(y_[0], kYFactors[0] * dy).sin, rotate(y_[1], kYFactors[1] * dy).sin,
                           rotate(y_[2], kYFactors[2] * dy).sin, l.sin,
                           l.cos};
    offset_degrees(lon, lat, s, d_lon, d_lat);
  }

  // The offset at the base point itself, from the stored sines.
  void offset_at_base(T& d_lon, T& d_lat) const {
    const SeriesSines<T> s{x_[0].sin, x_[1].sin, x_[2].sin, x_[3].sin, y_[0].sin,
                           y_[1].sin, y_[2].sin, lat_sc_.sin, lat_sc_.cos};
    offset_degrees(lon_, lat_, s, d_lon, d_lat);
  }

 private:
  T lon_, lat_;
  SineCosine<T> x_[4], y_[3], lat_sc_;
};

// The inverse's iteration: the offset's gradient is at most ~2e-3 (degrees per degree), so each
// round shrinks the error by that factor: once a step is below 1e-7° the error left is below
// ~1e-10° (tests hold round trips to 1e-9°), usually after three evaluations of the forward
// formula. 30 is a safety cap for the discontinuous box edge, where no exact inverse exists.
constexpr int kMaxIterations = 30;
constexpr double kTolerance = 1e-7;

// Whether the iteration goes on after a step: while the step is not below the tolerance (a NaN
// step stops it at once). The scalar and the pair loops both decide by this.
bool keeps_stepping(double step_lon, double step_lat) {
  return std::max(std::abs(step_lon), std::abs(step_lat)) >= kTolerance;
}

// Whether w is where the rotated sines serve (within reach of the base, inside the box).
bool near_base(double w_lon, double w_lat, double lon, double lat) {
  return std::abs(w_lon - lon) <= SeriesNear<double>::kReach && std::abs(w_lat - lat) <= SeriesNear<double>::kReach &&
         !outside_china_box(w_lon, w_lat);
}

// Several points' inverses at once (the lanes of V), lane by lane the scalar loop's operations;
// false (nothing written) when a lane leaves the base point's reach or the box, for the scalar
// code to take.
template <typename V>
bool gcj02_to_wgs84_lanes(const double* lon, const double* lat, double* out_lon, double* out_lat) {
  constexpr int n = kLanes<V>;
  V g_lon, g_lat;
  for (int k = 0; k < n; ++k) {
    if (outside_china_box(lon[k], lat[k])) return false;
    g_lon[k] = lon[k];
    g_lat[k] = lat[k];
  }
  const SeriesNear<V> near(g_lon, g_lat);
  V d_lon{}, d_lat{};
  near.offset_at_base(d_lon, d_lat);
  V w_lon = g_lon - d_lon, w_lat = g_lat - d_lat;
  bool active[n];
  std::fill(active, active + n, true);
  for (int i = 0; i < kMaxIterations && std::find(active, active + n, true) != active + n; ++i) {
    for (int k = 0; k < n; ++k)
      if (active[k] && !near_base(w_lon[k], w_lat[k], lon[k], lat[k])) return false;
    V o_lon{}, o_lat{};
    near.offset(w_lon, w_lat, o_lon, o_lat);
    const V step_lon = (w_lon + o_lon) - g_lon, step_lat = (w_lat + o_lat) - g_lat;
    for (int k = 0; k < n; ++k) {
      if (!active[k]) continue;  // converged: its point stays as the scalar loop left it
      w_lon[k] -= step_lon[k];
      w_lat[k] -= step_lat[k];
      active[k] = keeps_stepping(step_lon[k], step_lat[k]);
    }
  }
  for (int k = 0; k < n; ++k) {
    out_lon[k] = w_lon[k];
    out_lat[k] = w_lat[k];
  }
  return true;
}

bool gcj02_to_wgs84_pair(const double* lon, const double* lat, double* out_lon, double* out_lat) {
  return gcj02_to_wgs84_lanes<Pair>(lon, lat, out_lon, out_lat);
}

#ifdef NL_HAVE_WIDE_VECTORS
// Compiled for AVX2 (AVX-512) with everything they call inlined (flatten), so the lanes stay in
// registers; called only when the processor has it. No FMA is enabled: the same roundings.
__attribute__((target("avx2"), flatten)) bool gcj02_to_wgs84_quad(const double* lon, const double* lat,
                                                                   double* out_lon, double* out_lat) {
  return gcj02_to_wgs84_lanes<Quad>(lon, lat, out_lon, out_lat);
}
__attribute__((target("avx512f"), flatten)) bool gcj02_to_wgs84_oct(const double* lon, const double* lat,
                                                                     double* out_lon, double* out_lat) {
  return gcj02_to_wgs84_lanes<Oct>(lon, lat, out_lon, out_lat);
}
#endif

// Two points at a time, or one where the pair cannot serve.
void gcj02_to_wgs84_two(double* lon, double* lat) {
  if (gcj02_to_wgs84_pair(lon, lat, lon, lat)) return;
  gcj02_to_wgs84(lon[0], lat[0], lon[0], lat[0]);
  gcj02_to_wgs84(lon[1], lat[1], lon[1], lat[1]);
}

}  // namespace

void wgs84_to_gcj02(double lon, double lat, double& out_lon, double& out_lat) {
  if (outside_china_box(lon, lat)) {
    out_lon = lon;
    out_lat = lat;
    return;
  }
  double d_lon = 0, d_lat = 0;
  offset_degrees(lon, lat, sines_at(lon, lat), d_lon, d_lat);
  out_lon = lon + d_lon;
  out_lat = lat + d_lat;
}

void gcj02_to_wgs84(double lon, double lat, double& out_lon, double& out_lat) {
  if (outside_china_box(lon, lat)) {
    out_lon = lon;
    out_lat = lat;
    return;
  }
  const SeriesNear<double> near(lon, lat);
  // The forward map at w, with sines rotated from the base point while w stays within reach
  // (always, inside China: offsets are under 0.01°), else evaluated directly.
  auto forward = [&](double w_lon, double w_lat, double& f_lon, double& f_lat) {
    if (near_base(w_lon, w_lat, lon, lat)) {
      double d_lon = 0, d_lat = 0;
      near.offset(w_lon, w_lat, d_lon, d_lat);
      f_lon = w_lon + d_lon;
      f_lat = w_lat + d_lat;
    } else {
      wgs84_to_gcj02(w_lon, w_lat, f_lon, f_lat);
    }
  };
  double d_lon = 0, d_lat = 0;
  near.offset_at_base(d_lon, d_lat);
  double w_lon = lon - d_lon, w_lat = lat - d_lat, f_lon = 0, f_lat = 0;
  for (int i = 0; i < kMaxIterations; ++i) {
    forward(w_lon, w_lat, f_lon, f_lat);
    const double step_lon = f_lon - lon;
    const double step_lat = f_lat - lat;
    w_lon -= step_lon;
    w_lat -= step_lat;
    if (!keeps_stepping(step_lon, step_lat)) break;
  }
  out_lon = w_lon;
  out_lat = w_lat;
}

void gcj02_to_wgs84(std::span<double> lon, std::span<double> lat, int max_lanes) {
  const size_t n = std::min(lon.size(), lat.size());
  size_t i = 0;
#ifdef NL_HAVE_WIDE_VECTORS
  if (max_lanes >= 8 && __builtin_cpu_supports("avx512f"))
    for (; i + 7 < n; i += 8) {
      if (gcj02_to_wgs84_oct(&lon[i], &lat[i], &lon[i], &lat[i])) continue;
      for (size_t k = 0; k < 8; k += 2) gcj02_to_wgs84_two(&lon[i + k], &lat[i + k]);
    }
  if (max_lanes >= 4 && __builtin_cpu_supports("avx2"))
    for (; i + 3 < n; i += 4) {
      if (gcj02_to_wgs84_quad(&lon[i], &lat[i], &lon[i], &lat[i])) continue;
      gcj02_to_wgs84_two(&lon[i], &lat[i]);
      gcj02_to_wgs84_two(&lon[i + 2], &lat[i + 2]);
    }
#endif
  if (max_lanes >= 2)
    for (; i + 1 < n; i += 2) gcj02_to_wgs84_two(&lon[i], &lat[i]);
  for (; i < n; ++i) gcj02_to_wgs84(lon[i], lat[i], lon[i], lat[i]);
}

Datum parse_datum(const std::string& name) {
  if (name == "wgs84") return Datum::wgs84;
  if (name == "gcj02") return Datum::gcj02;
  throw std::invalid_argument("unknown datum '" + name + "' (accepted: wgs84, gcj02)");
}

const char* datum_name(Datum datum) {
  switch (datum) {
    case Datum::wgs84:
      return "wgs84";
    case Datum::gcj02:
      return "gcj02";
  }
  // Only reachable through a cast of an out-of-range integer.
  return "unknown";
}

}  // namespace nl
