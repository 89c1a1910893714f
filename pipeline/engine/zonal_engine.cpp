// The zonal loop: coverage index, read plan, per-tile partials merged in tile order.
#include "pipeline/engine/zonal_engine.hpp"

#include "pipeline/engine/engine_limits.hpp"

#include <omp.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <new>
#include <exception>
#include <mutex>

#include "pipeline/engine/cluster.hpp"
#include "pipeline/engine/zonal_parts.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace {

// Splits a zone's coverage runs at window columns, calling emit(window, run) for the runs in rows
// [row_begin, row_end) (one row of windows), left to right.
template <typename Emit>
void split_runs_for_window_row(const std::vector<CoverageRun>& runs, uint32_t zone, int64_t wrow,
                               const WindowLayout& layout, Emit&& emit) {
  const int64_t rpw = layout.rows_per_window, cpw = layout.cols_per_window, wcols = layout.window_cols();
  const int64_t row_begin = wrow * rpw, row_end = row_begin + rpw;
  auto it = std::lower_bound(runs.begin(), runs.end(), row_begin,
                             [](const CoverageRun& r, int64_t row) { return r.row < row; });
  for (; it != runs.end() && it->row < row_end; ++it) {
    const auto local_row = static_cast<int32_t>(it->row - row_begin);
    int64_t c = it->col_begin;
    while (c < it->col_end) {
      const int64_t wcol = c / cpw, col0 = wcol * cpw;
      const int64_t end = std::min<int64_t>(it->col_end, col0 + cpw);
      emit(static_cast<size_t>(wrow * wcols + wcol),
           WindowRun{zone, local_row, static_cast<int32_t>(c - col0), static_cast<int32_t>(end - col0), it->fraction});
      c = end;
    }
  }
}

// A band's array: one allocation of its exact size, backed by transparent huge pages where the
// kernel offers them — first-touch page faults on ~100 MB of runs were a tenth of a cold run on
// a virtual machine.
WindowRun* allocate_runs(size_t count) {
  constexpr size_t kHugePage = size_t(2) << 20;
  const size_t bytes = std::max<size_t>(kHugePage, (count * sizeof(WindowRun) + kHugePage - 1) / kHugePage * kHugePage);
  void* p = std::aligned_alloc(kHugePage, bytes);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (count * sizeof(WindowRun) >= kHugePage) madvise(p, bytes, MADV_HUGEPAGE);  // advice only
#endif
  return static_cast<WindowRun*>(p);
}

// An unlinked file in $TMPDIR that bands beyond the memory budget are appended to.
class ScratchFile {
 public:
  ~ScratchFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  uint64_t append(const WindowRun* runs, size_t count) {
    if (fd_ < 0) open();
    const uint64_t at = size_;
    const char* p = reinterpret_cast<const char*>(runs);
    size_t left = count * sizeof(WindowRun);
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw UserError(path_ + ": cannot write the coverage index's overflow (" + std::strerror(n < 0 ? errno : ENOSPC) +
                        "); free space in $TMPDIR or raise NIGHTLIGHTS_INDEX_MEMORY_MB");
      p += n;
      left -= static_cast<size_t>(n);
    }
    size_ += count * sizeof(WindowRun);
    return at;
  }
  bool used() const { return fd_ >= 0; }
  std::shared_ptr<const MappedFile> map() const {
    auto m = map_file_readonly(fd_);
    if (!m) throw UserError(path_ + ": cannot map the coverage index's overflow file");
    return m;
  }

 private:
  void open() {
    std::string pattern = engine_limits().scratch_dir + "/nightlights-index-XXXXXX";
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0)
      throw UserError(pattern + ": cannot create a scratch file for the coverage index (" + std::strerror(errno) +
                      "); set TMPDIR to a writable folder");
    path_ = pattern;
    ::unlink(pattern.c_str());  // gone when closed, even after a crash
  }
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

}  // namespace

MappedFile::~MappedFile() {
  if (data) ::munmap(const_cast<void*>(data), size);
}

std::shared_ptr<const MappedFile> map_file_readonly(int fd, size_t populate_up_to) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return nullptr;
  const bool populate = static_cast<size_t>(st.st_size) <= populate_up_to;
  const int flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0);
  void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, flags, fd, 0);
  if (p == MAP_FAILED) return nullptr;
  auto m = std::make_shared<MappedFile>();
  m->data = p;
  m->size = static_cast<size_t>(st.st_size);
  return m;
}

void CoverageIndex::release_band(int64_t b) const {
  if (!release_after_use || !band_in_file[b]) return;
  const auto runs = band(b);
  if (runs.empty()) return;
  // Whole pages around the band's runs: a neighbour sharing an edge page re-reads it from the
  // page cache if it still needs it — the mapping is of an unchanged file, so nothing is lost.
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(runs.data()) / page * page;
  const auto end = reinterpret_cast<uintptr_t>(runs.data() + runs.size());
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

size_t index_memory_budget() { return engine_limits().index_memory_bytes; }

CoverageIndex build_coverage_index(std::vector<std::vector<Ring>>&& zones, const WindowLayout& layout,
                                   CoverageMode mode, size_t memory_budget) {
  CoverageIndex index;
  index.layout = layout;
  index.mode = mode;
  index.zone_count = zones.size();
  const auto nwindows = static_cast<size_t>(layout.count());
  const int64_t wrows = nwindows ? layout.window_rows() : 0, wcols = layout.window_cols();
  const int64_t rpw = layout.rows_per_window;
  index.offsets.assign(nwindows + 1, 0);
  index.band_runs.assign(static_cast<size_t>(wrows), nullptr);
  index.band_in_file.assign(static_cast<size_t>(wrows), 0);

  // Rows each zone can touch, [first, last], conservative; zones off the grid never enter.
  const size_t n = zones.size();
  std::vector<int64_t> first_row(n, 0), last_row(n, -1);
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t z = 0; z < n; ++z) {
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (const Ring& ring : zones[z])
      for (const CellPoint& p : ring.points) {
        lo = std::min(lo, p.y);
        hi = std::max(hi, p.y);
      }
    if (!(lo <= hi) || hi < 0 || lo >= static_cast<double>(layout.height)) continue;
    first_row[z] = std::max<int64_t>(0, static_cast<int64_t>(std::floor(lo)));
    last_row[z] = std::min<int64_t>(layout.height - 1, static_cast<int64_t>(std::ceil(hi)));
  }
  std::vector<uint32_t> order;
  for (size_t z = 0; z < n; ++z)
    if (last_row[z] >= first_row[z]) order.push_back(static_cast<uint32_t>(z));
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return first_row[a] < first_row[b]; });

  std::vector<std::vector<CoverageRun>> coverage(n);
  std::vector<uint32_t> active;  // zones crossing the current band, ascending
  size_t next = 0, in_memory = 0;
  uint64_t total = 0;
  ScratchFile scratch;
  std::vector<std::pair<int64_t, uint64_t>> spilled;  // (band, offset in the scratch file)
  std::vector<uint64_t> counts, position;
  for (int64_t b = 0; b < wrows; ++b) {
    const int64_t row_end = std::min<int64_t>(layout.height, (b + 1) * rpw);
    const size_t begin = next;
    while (next < order.size() && first_row[order[next]] < row_end) ++next;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t k = begin; k < next; ++k) {
      const uint32_t z = order[k];
      coverage[z] = polygon_coverage(zones[z], layout.width, layout.height, mode);
      std::vector<Ring>().swap(zones[z]);
    }
    active.insert(active.end(), order.begin() + static_cast<std::ptrdiff_t>(begin),
                  order.begin() + static_cast<std::ptrdiff_t>(next));
    std::sort(active.begin(), active.end());

    // A counting sort of the band's runs by window, zones in order within each window: counts
    // per (zone, window) in parallel, positions from them, then the fill in parallel.
    const size_t na = active.size(), wc = static_cast<size_t>(wcols);
    const size_t band_first_window = static_cast<size_t>(b) * wc;
    counts.assign(na * wc, 0);
#pragma omp parallel for schedule(dynamic, 8)
    for (size_t a = 0; a < na; ++a)
      split_runs_for_window_row(coverage[active[a]], active[a], b, layout,
                                [&](size_t w, const WindowRun&) { ++counts[a * wc + (w - band_first_window)]; });
    position.resize(na * wc);
    uint64_t band_size = 0;
    for (size_t c = 0; c < wc; ++c) {
      index.offsets[band_first_window + c] = total + band_size;
      for (size_t a = 0; a < na; ++a) {
        position[a * wc + c] = band_size;
        band_size += counts[a * wc + c];
      }
    }
    if (band_size > 0) {
      std::unique_ptr<WindowRun[], CoverageIndex::FreeDeleter> runs(allocate_runs(band_size));
      WindowRun* out = runs.get();
#pragma omp parallel for schedule(dynamic, 8)
      for (size_t a = 0; a < na; ++a)
        split_runs_for_window_row(coverage[active[a]], active[a], b, layout, [&](size_t w, const WindowRun& run) {
          out[position[a * wc + (w - band_first_window)]++] = run;
        });
      const size_t bytes = band_size * sizeof(WindowRun);
      if (in_memory + bytes <= memory_budget) {
        in_memory += bytes;
        index.band_runs[b] = out;
        index.owned.push_back(std::move(runs));
      } else {
        spilled.emplace_back(b, scratch.append(out, band_size));
      }
    }
    total += band_size;
    // Zones whose last row is in this band are done.
    std::erase_if(active, [&](uint32_t z) {
      if (last_row[z] >= row_end) return false;
      std::vector<CoverageRun>().swap(coverage[z]);
      return true;
    });
  }
  index.offsets[nwindows] = total;
  if (scratch.used()) {
    auto mapping = scratch.map();
    const auto* base = static_cast<const WindowRun*>(mapping->data);
    for (const auto& [b, at] : spilled) {
      index.band_runs[b] = base + at / sizeof(WindowRun);
      index.band_in_file[b] = 1;
    }
    index.mappings.push_back(std::move(mapping));
    index.release_after_use = true;
  }
  return index;
}

ZonalResult run_zonal(const RasterInfo& raster, const CoverageIndex& index, const CellAreas& areas,
                      const ZonalOptions& options) {
  const ReadPlan plan = plan_reads(raster, index);
  std::vector<std::vector<std::pair<uint32_t, ZoneAccumulator>>> partials(plan.tiles.size());

  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<bool> failed{false};
  std::atomic<int64_t> done{0};
  // Ranks take read windows round-robin; threads share a rank's windows dynamically.
  const bool alone = options.this_rank_only;
  const size_t ranks = alone ? 1 : static_cast<size_t>(cluster::size()), my_rank = alone ? 0 : static_cast<size_t>(cluster::rank());
  BandReleaser bands_left(index, plan, ranks, my_rank);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  std::atomic<int64_t> negative_cells{0}, transform_count{0};
  PreprocessOptions quality_preprocess;
  if (options.quality) quality_preprocess.nodata = options.quality->raster.nodata;
  std::optional<GridCentres> centres;
  if (options.needs.centre) {
    if (!raster.geographic)
      throw UserError(raster.path + ": light_lon/light_lat/area_lon/area_lat need a lon/lat raster grid");
    centres.emplace(raster.grid);
  }

#pragma omp parallel num_threads(threads)
  {
    std::unique_ptr<RasterReader> reader, quality_reader;
    std::vector<std::unique_ptr<RasterReader>> input_readers;  // a transform's further inputs
    std::unique_ptr<CellAreaCalculator> cell_areas;
    const size_t n_inputs = options.transform ? options.transform->inputs.size() : 0;
    std::vector<xt::xtensor<double, 2>> raw(1 + n_inputs);
    xt::xtensor<double, 2>& values = raw[0];
    xt::xtensor<double, 2> quality, cell_area;
    try {
      reader = std::make_unique<RasterReader>(raster);
      if (areas.per_cell) cell_areas = std::make_unique<CellAreaCalculator>(raster);
      if (options.quality) quality_reader = std::make_unique<RasterReader>(options.quality->raster);
      for (size_t k = 0; k < n_inputs; ++k)
        input_readers.push_back(std::make_unique<RasterReader>(options.transform->inputs[k]));
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
    }
#pragma omp for schedule(dynamic, 1)
    for (size_t i = 0; i < plan.windows.size(); ++i) {
      if (failed || i % ranks != my_rank) continue;
      try {
        const Window read = plan.reads.window(plan.windows[i]);
        reader->read(read);
        if (quality_reader) quality_reader->read(read);
        for (auto& r : input_readers) r->read(read);
        for (const size_t t : plan.tiles_of_window[i]) {
          const Window tile = index.layout.window(plan.tiles[t]);
          reader->copy_to(tile, values);
          negative_cells += count_negative(values, options.preprocess);
          if (options.transform) {
            for (size_t k = 0; k < n_inputs; ++k) input_readers[k]->copy_to(tile, raw[k + 1]);
            transform_count += options.transform->apply(raw);
          }
          if (quality_reader) {
            quality_reader->copy_to(tile, quality);
            preprocess_window(quality, quality_preprocess);
            apply_quality_mask(values, quality, options.quality->min_count);
          }
          const auto runs = index.window_runs(plan.tiles[t]);
          check_runs(runs, tile, index.zone_count, plan.tiles[t]);
          CellCentres tile_centres;
          WindowExtras extras{options.needs, nullptr};
          if (centres) {
            tile_centres = centres->window(tile);
            extras.centres = &tile_centres;
          }
          if (cell_areas) {
            cell_areas->window_km2(tile, cell_area);
            accumulate_window(values, cell_area, runs, options.preprocess, options.lit_threshold, partials[t], extras);
          } else {
            const std::span<const double> rows(areas.row_km2.data() + tile.row0, static_cast<size_t>(tile.rows));
            accumulate_window(values, rows, runs, options.preprocess, options.lit_threshold, partials[t], extras);
          }
          bands_left.tile_done(t);
        }
        const double fraction = static_cast<double>(++done) * static_cast<double>(ranks) /
                                static_cast<double>(plan.windows.size());
        if (options.progress && !options.progress(std::min(fraction, 1.0))) throw Cancelled();
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        failed = true;
      }
    }
  }
  const std::string local_error =
      failure ? local_failure_text(failure, cluster::size() == 1 || options.this_rank_only) : std::string();
  // Every rank's partials reach rank 0, which merges them in tile order: the same bits for any
  // number of ranks and threads, and for any block structure of the file.
  if (!options.this_rank_only) cluster::gather_partials(partials, local_error);

  ZonalResult result;
  result.zones.resize(index.zone_count);
  for (size_t t = 0; t < plan.tiles.size(); ++t)
    for (auto& [zone, acc] : partials[t]) {
      result.zones[zone].merge(acc);
      acc = ZoneAccumulator();  // free its sketch now: only the merged ones are kept
    }
  for (const int64_t w : plan.windows) result.cells_read += plan.reads.window(w).cells();
  if (!options.this_rank_only) cluster::broadcast_accumulators(result.zones);
  result.windows_read = static_cast<int64_t>(plan.windows.size());
  result.negative_cells = options.this_rank_only ? negative_cells.load() : cluster::sum_over_ranks(negative_cells.load());
  result.transform_count = options.this_rank_only ? transform_count.load() : cluster::sum_over_ranks(transform_count.load());
  warn_of_fill_values(raster, result.zones);
  return result;
}

}  // namespace nl
