// A datacube's bands measured a batch at a time (see cube_batches.hpp).
#include "pipeline/app/cube_batches.hpp"

#include <algorithm>
#include <chrono>

#include "pipeline/engine/band_batch.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

CubeBatches::CubeBatches(const std::vector<PlannedRelease>& plan, const std::vector<size_t>& to_do) {
  for (const size_t i : to_do) releases_.push_back(&plan[i].release);
  group_.assign(releases_.size(), kNone);
  for (size_t k = 0; k < releases_.size(); ++k) {
    const ReleaseFile& r = *releases_[k];
    if (r.band <= 0) continue;
    const ReleaseFile* before = k > 0 ? releases_[k - 1] : nullptr;
    if (!before || before->band <= 0 || before->path != r.path || before->quality_path != r.quality_path)
      groups_.push_back({k, k, 0});
    groups_.back().end = k + 1;
    group_[k] = groups_.size() - 1;
  }
}

void CubeBatches::size_group(Group& g, const CubeBatchSteps& steps) {
  // From the first band that opens (one that does not fails alone when its batch is measured).
  for (size_t k = g.first; k < g.end && g.batch == 0; ++k) {
    try {
      const ReleaseInput in = steps.open(*releases_[k]);
      g.batch = band_batch_size(in.raster, in.quality, steps.zones(in.raster), steps.options(in), g.end - g.first);
    } catch (const UserError&) {
    }
  }
  if (g.batch == 0) g.batch = 1;
}

void CubeBatches::size_all(const CubeBatchSteps& steps, const std::function<size_t(size_t)>& agree, size_t ranks) {
  for (Group& g : groups_) {
    if (g.batch == 0) size_group(g, steps);
    const size_t bands = g.end - g.first, per_rank = (bands + ranks - 1) / ranks;
    g.batch = std::clamp<size_t>(agree(g.batch), 1, std::max<size_t>(1, per_rank));
  }
}

std::vector<size_t> CubeBatches::units() const {
  std::vector<size_t> unit(releases_.size());
  size_t next = 0;
  for (size_t k = 0; k < releases_.size(); ++k) {
    const bool starts = group_[k] == kNone || (k - groups_[group_[k]].first) % groups_[group_[k]].batch == 0;
    unit[k] = starts ? next++ : unit[k - 1];
  }
  return unit;
}

Measurement CubeBatches::take(size_t k, const CubeBatchSteps& steps) {
  if (!measured_.count(k) && !failed_.count(k)) {
    Group& g = groups_.at(group_[k]);
    if (g.batch == 0) size_group(g, steps);
    const size_t first = g.first + (k - g.first) / g.batch * g.batch;
    measure_batch(first, std::min(g.end, first + g.batch), steps);
  }
  if (const auto f = failed_.find(k); f != failed_.end()) {
    const std::string why = f->second;
    failed_.erase(f);
    throw UserError(why);
  }
  Measurement m = std::move(measured_.at(k));
  measured_.erase(k);
  return m;
}

void CubeBatches::measure_batch(size_t first, size_t end, const CubeBatchSteps& steps) {
  std::vector<size_t> members;
  std::vector<ReleaseInput> inputs;
  for (size_t j = first; j < end; ++j) {
    try {
      inputs.push_back(steps.open(*releases_[j]));
      members.push_back(j);
    } catch (const UserError& e) {
      failed_[j] = e.what();  // this band alone: the others still make a batch
    }
  }
  if (members.empty()) return;
  std::vector<RasterInfo> rasters;
  std::vector<ZonalOptions> options;
  for (const ReleaseInput& in : inputs) {
    rasters.push_back(in.raster);
    options.push_back(steps.options(in));
  }
  const CoverageIndex& index = steps.zones(rasters.front());
  const auto t0 = std::chrono::steady_clock::now();
  BandBatchResult result;
  try {
    result = run_zonal_bands(rasters, index, raster_cell_areas(rasters.front()), options);
  } catch (const UserError& e) {
    for (const size_t j : members) failed_[j] = e.what();  // a read error fails the batch's releases
    return;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_info(rasters.front().path + ": " + std::to_string(members.size()) + " band(s) measured in one pass (bands " +
           std::to_string(rasters.front().band) + "–" + std::to_string(rasters.back().band) + "): " +
           std::to_string(result.windows_read) + " window(s) read for all of them (one band alone reads " +
           std::to_string(result.bands.front().windows_read) + ")");
  for (size_t i = 0; i < members.size(); ++i) {
    Measurement m;
    m.input = std::move(inputs[i]);
    m.result = std::move(result.bands[i]);
    m.zonal_seconds = seconds / static_cast<double>(members.size());  // each band's share of the pass
    measured_.emplace(members[i], std::move(m));
  }
}

}  // namespace nl
