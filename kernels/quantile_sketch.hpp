// A mergeable weighted histogram of a zone's values, behind the median and quantile statistics:
// exact (one bucket per distinct value) while every value is an integer and there are few
// distinct values (a byte or integer-DN band), else log-spaced buckets whose representative lies
// within 2^-8 (0.39 %) of every value in them. Buckets are kept sparse and sorted, so a small
// zone costs a few buckets, and merging two sketches is a merge of sorted keys: any grouping of
// a zone's cells (windows, threads, ranks, counties into a city) ends in the same buckets.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace nl {

class QuantileSketch {
 public:
  // The relative error bound of a log-bucketed value: |representative − x| ≤ kRelativeError·|x|
  // for every normal double x in the bucket (half a bucket of width 2^-7 of its lower edge).
  static constexpr double kRelativeError = 1.0 / 256.0;
  // Distinct values an exact sketch keeps before it turns into log buckets (a DMSP band has 64).
  static constexpr size_t kExactLimit = 4096;

  struct Bucket {
    int64_t key = 0;   // the value itself (exact), or the signed log bucket
    double weight = 0;       // Σ coverage fraction
    double area_weight = 0;  // Σ coverage fraction × cell area (km²)
    bool operator==(const Bucket&) const = default;
  };

  bool empty() const { return buckets_.empty(); }
  bool exact() const { return !log_; }
  size_t size() const { return buckets_.size(); }
  const std::vector<Bucket>& buckets() const { return buckets_; }
  size_t memory_bytes() const { return buckets_.capacity() * sizeof(Bucket); }

  // Adds one (already sorted, key-unique) run of buckets; used by the builder and by merge.
  void merge(const QuantileSketch& other);
  // The weighted quantile q ∈ [0, 1] by coverage weight (or coverage × area): README's rule.
  std::optional<double> quantile(double q, bool by_area) const;
  // The value a bucket stands for.
  double value_of(int64_t key) const;

  // Flat form for MPI: [log?, n, (key, weight, area_weight)…].
  void pack(std::vector<double>& out) const;
  // Reads what pack wrote from p (advanced); throws std::runtime_error past `end`.
  static QuantileSketch unpack(const double*& p, const double* end);

  static int64_t log_key(double x);
  static bool exact_key(double x, int64_t& key);  // false when x is not a small integer

  bool operator==(const QuantileSketch&) const = default;

 private:
  friend class SketchBuilder;
  void to_log();
  bool log_ = false;
  std::vector<Bucket> buckets_;  // sorted by key, keys unique
};

// Collects one window's cells for one zone (unsorted, hashed by key) and hands back a sorted
// sketch: one per thread, reused, so a window costs no allocation once warm. Weights of a key
// add in the order the cells came, so the result does not depend on anything but the window.
class SketchBuilder {
 public:
  void add(double x, double weight, double area_weight);
  QuantileSketch finish();  // and clears

 private:
  void insert(int64_t key, double weight, double area_weight);
  void rehash(size_t capacity);
  void switch_to_log();
  bool log_ = false;
  std::vector<int64_t> slot_key_;   // open addressing: keys (kEmpty when free)
  std::vector<uint32_t> slot_at_;   // index into the entries
  std::vector<QuantileSketch::Bucket> entries_;  // in order of first appearance
};

}  // namespace nl
