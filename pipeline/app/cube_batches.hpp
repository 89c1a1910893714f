// A datacube's bands to do, measured a batch at a time (issue 13). The bands of one cube that
// follow each other in the plan's releases to do form a group; a group is cut into batches of
// band_batch_size bands (from its first band's grid, read window and zones), in plan order, and
// each batch is measured in one pass (engine/band_batch). Each band keeps its measurement until
// the batch run commits it: every band stays its own release (its own stamps, tables, provenance
// and manifest record). A read error fails the batch's releases, not the run's others; a band
// that cannot be opened fails alone. Under MPI with more releases than ranks, batches go to
// ranks as whole units (units(): unit u to rank u mod N), so the plan alone decides who measures.
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/app/release_input.hpp"
#include "pipeline/app/release_plan.hpp"

namespace nl {

// What measuring needs from the batch run.
struct CubeBatchSteps {
  std::function<ReleaseInput(const ReleaseFile&)> open;                   // open_release_input
  std::function<const CoverageIndex&(const RasterInfo&)> zones;           // the zones on this grid
  std::function<ZonalOptions(const ReleaseInput&)> options;               // with the run's progress
};

class CubeBatches {
 public:
  // The releases to do (`to_do`, positions in `plan`, in plan order); the plan outlives this.
  CubeBatches(const std::vector<PlannedRelease>& plan, const std::vector<size_t>& to_do);

  // Release k is a cube's band (releases.band: each): measured in a band batch.
  bool batched(size_t k) const { return group_[k] != kNone; }
  bool any() const { return !groups_.empty(); }

  // Sizes every group's batches now (else each is sized when first measured). `agree` turns
  // this rank's size into the one every rank uses (under MPI: rank 0's); a group has at least
  // `ranks` batches when it has that many bands, so that every rank gets one.
  void size_all(const CubeBatchSteps& steps, const std::function<size_t(size_t)>& agree, size_t ranks);

  // The unit of each release to do: a batch of a cube's bands is one unit, any other release
  // its own; units numbered in plan order. Needs size_all.
  std::vector<size_t> units() const;

  // Release k's measurement, from the batch that holds it (measured now when it is not yet).
  // Throws UserError with its failure. Interruptions and cancelling propagate.
  Measurement take(size_t k, const CubeBatchSteps& steps);

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  struct Group {
    size_t first = 0, end = 0;  // releases to do [first, end)
    size_t batch = 0;           // bands per batch; 0 until sized
  };
  void size_group(Group& g, const CubeBatchSteps& steps);
  void measure_batch(size_t first, size_t end, const CubeBatchSteps& steps);

  std::vector<const ReleaseFile*> releases_;
  std::vector<size_t> group_;  // [k] its group, or kNone
  std::vector<Group> groups_;
  std::map<size_t, Measurement> measured_;
  std::map<size_t, std::string> failed_;
};

}  // namespace nl
