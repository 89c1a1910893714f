// The quantile sketch: exact integer histograms, log buckets from the bits of a double (no log()
// call, so the buckets are the same on every machine and compiler), merging and the quantile rule.
#include "kernels/quantile_sketch.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace nl {

namespace {
// 7 mantissa bits: 128 buckets per octave, each 2^-7 of its lower edge wide.
constexpr int kDropBits = 52 - 7;
constexpr int64_t kEmpty = std::numeric_limits<int64_t>::min();

double magnitude_of(int64_t k) {  // k ≥ 1: the middle of bucket k of positive values
  const double lo = std::bit_cast<double>(static_cast<uint64_t>(k - 1) << kDropBits);
  const double hi = std::bit_cast<double>(static_cast<uint64_t>(k) << kDropBits);
  return std::isfinite(hi) ? lo + (hi - lo) / 2 : lo;
}
}  // namespace

int64_t QuantileSketch::log_key(double x) {
  if (x == 0) return 0;
  // Ordered like the values: zero alone in 0, positives from 1 up, negatives mirrored.
  const auto k = static_cast<int64_t>(std::bit_cast<uint64_t>(std::fabs(x)) >> kDropBits) + 1;
  return x > 0 ? k : -k;
}

bool QuantileSketch::exact_key(double x, int64_t& key) {
  if (!(std::fabs(x) <= 2147483648.0) || x != std::floor(x)) return false;
  key = static_cast<int64_t>(x);
  return true;
}

double QuantileSketch::value_of(int64_t key) const {
  if (!log_) return static_cast<double>(key);
  if (key == 0) return 0;
  return key > 0 ? magnitude_of(key) : -magnitude_of(-key);
}

void QuantileSketch::to_log() {
  if (log_) return;
  std::vector<Bucket> out;
  for (const Bucket& b : buckets_) {
    const int64_t k = log_key(static_cast<double>(b.key));
    if (!out.empty() && out.back().key == k) {
      out.back().weight += b.weight;
      out.back().area_weight += b.area_weight;
    } else {
      out.push_back({k, b.weight, b.area_weight});
    }
  }
  buckets_ = std::move(out);
  log_ = true;
}

void QuantileSketch::merge(const QuantileSketch& o) {
  if (o.buckets_.empty()) return;
  if (buckets_.empty()) {
    *this = o;
    return;
  }
  if (log_ != o.log_) {
    if (!log_) to_log();
    if (!o.log_) {
      QuantileSketch copy = o;
      copy.to_log();
      merge(copy);
      return;
    }
  }
  std::vector<Bucket> out;
  out.reserve(buckets_.size() + o.buckets_.size());
  auto a = buckets_.cbegin(), b = o.buckets_.cbegin();
  while (a != buckets_.cend() || b != o.buckets_.cend()) {
    if (b == o.buckets_.cend() || (a != buckets_.cend() && a->key < b->key)) {
      out.push_back(*a++);
    } else if (a == buckets_.cend() || b->key < a->key) {
      out.push_back(*b++);
    } else {
      out.push_back({a->key, a->weight + b->weight, a->area_weight + b->area_weight});
      ++a, ++b;
    }
  }
  buckets_ = std::move(out);
  if (!log_ && buckets_.size() > kExactLimit) to_log();
}

std::optional<double> QuantileSketch::quantile(double q, bool by_area) const {
  if (buckets_.empty() || !(q >= 0 && q <= 1)) return std::nullopt;
  auto w = [by_area](const Bucket& b) { return by_area ? b.area_weight : b.weight; };
  double total = 0;
  for (const Bucket& b : buckets_) total += w(b);
  if (!(total > 0)) return std::nullopt;
  // The smallest value whose cumulative weight reaches q·W; where it meets q·W exactly, the
  // middle of it and the next value (an even count of equal weights gives the usual median).
  const double target = q * total;
  double cumulative = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += w(buckets_[i]);
    if (cumulative >= target) {
      if (cumulative == target && i + 1 < buckets_.size())
        return (value_of(buckets_[i].key) + value_of(buckets_[i + 1].key)) / 2;
      return value_of(buckets_[i].key);
    }
  }
  return value_of(buckets_.back().key);
}

void QuantileSketch::pack(std::vector<double>& out) const {
  out.push_back(log_ ? 1.0 : 0.0);
  out.push_back(static_cast<double>(buckets_.size()));
  for (const Bucket& b : buckets_) {
    out.push_back(static_cast<double>(b.key));
    out.push_back(b.weight);
    out.push_back(b.area_weight);
  }
}

QuantileSketch QuantileSketch::unpack(const double*& p, const double* end) {
  if (end - p < 2) throw std::runtime_error("quantile sketch cut short");
  QuantileSketch s;
  s.log_ = p[0] != 0;
  const double n = p[1];
  p += 2;
  if (!(n >= 0) || n * 3 > static_cast<double>(end - p)) throw std::runtime_error("quantile sketch cut short");
  s.buckets_.resize(static_cast<size_t>(n));
  for (Bucket& b : s.buckets_) {
    b = {static_cast<int64_t>(p[0]), p[1], p[2]};
    p += 3;
  }
  return s;
}

void SketchBuilder::add(double x, double weight, double area_weight) {
  int64_t key = 0;
  if (!log_ && !QuantileSketch::exact_key(x, key)) switch_to_log();
  if (log_) key = QuantileSketch::log_key(x);
  insert(key, weight, area_weight);
  if (!log_ && entries_.size() > QuantileSketch::kExactLimit) switch_to_log();
}

void SketchBuilder::insert(int64_t key, double weight, double area_weight) {
  if (2 * (entries_.size() + 1) > slot_key_.size()) rehash(std::max<size_t>(64, 2 * slot_key_.size()));
  const size_t mask = slot_key_.size() - 1;
  size_t s = static_cast<size_t>(static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ULL >> 32) & mask;
  while (slot_key_[s] != kEmpty && slot_key_[s] != key) s = (s + 1) & mask;
  if (slot_key_[s] == kEmpty) {
    slot_key_[s] = key;
    slot_at_[s] = static_cast<uint32_t>(entries_.size());
    entries_.push_back({key, 0, 0});
  }
  QuantileSketch::Bucket& e = entries_[slot_at_[s]];
  e.weight += weight;
  e.area_weight += area_weight;
}

void SketchBuilder::rehash(size_t capacity) {
  slot_key_.assign(capacity, kEmpty);
  slot_at_.assign(capacity, 0);
  const size_t mask = capacity - 1;
  for (size_t i = 0; i < entries_.size(); ++i) {
    size_t s = static_cast<size_t>(static_cast<uint64_t>(entries_[i].key) * 0x9E3779B97F4A7C15ULL >> 32) & mask;
    while (slot_key_[s] != kEmpty) s = (s + 1) & mask;
    slot_key_[s] = entries_[i].key;
    slot_at_[s] = static_cast<uint32_t>(i);
  }
}

void SketchBuilder::switch_to_log() {
  // Exact keys become log buckets in order of first appearance, so the sums stay deterministic.
  std::vector<QuantileSketch::Bucket> old = std::move(entries_);
  entries_.clear();
  std::fill(slot_key_.begin(), slot_key_.end(), kEmpty);
  log_ = true;
  for (const auto& e : old) insert(QuantileSketch::log_key(static_cast<double>(e.key)), e.weight, e.area_weight);
}

QuantileSketch SketchBuilder::finish() {
  QuantileSketch s;
  s.log_ = log_;
  s.buckets_ = entries_;
  std::sort(s.buckets_.begin(), s.buckets_.end(),
            [](const QuantileSketch::Bucket& a, const QuantileSketch::Bucket& b) { return a.key < b.key; });
  // Forget this window's keys: the slots they took (cheaper than clearing a grown table).
  const size_t mask = slot_key_.size() - 1;
  for (const auto& e : entries_) {
    size_t slot = static_cast<size_t>(static_cast<uint64_t>(e.key) * 0x9E3779B97F4A7C15ULL >> 32) & mask;
    while (slot_key_[slot] != e.key) slot = (slot + 1) & mask;
    slot_key_[slot] = kEmpty;
  }
  entries_.clear();
  log_ = false;
  return s;
}

}  // namespace nl
