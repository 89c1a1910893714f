// The GeoPackages of output.geopackage_levels, in two steps: the levels' units and geometries
// (the zone layers read and datum-corrected, derived units GEOS-unioned from their members),
// which need no release, then the files, written with the latest release's tables. The union is
// single-threaded and the longest stage of a first run with GeoPackages (~9 s for China's 372
// cities), so a run prepares the geometry on a thread of its own while it measures the releases
// and draws their maps (GeoPackageLevelsInBackground), and the pictures fill the second core
// instead of adding to the wall time; later runs take the union from OUT/panel/.geopackages
// (derived_units_cache.hpp). Rank 0 only.
#pragma once
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/io/config.hpp"
#include "pipeline/io/geopackage_writer.hpp"

class OGRSpatialReference;

namespace nl {

// One GeoPackage level's units (in the level's unit order) and its zone layer's CRS.
struct GeoPackageLevel {
  std::string name;
  std::vector<UnitGeometry> units;
  std::unique_ptr<OGRSpatialReference> srs;  // null when the layer has none
  GeoPackageLevel();
  GeoPackageLevel(GeoPackageLevel&&) noexcept;
  GeoPackageLevel& operator=(GeoPackageLevel&&) noexcept;
  ~GeoPackageLevel();
};

// Every level of output.geopackage_levels, in that order. Throws Cancelled, between features
// or unions, once `cancel` is set. With `kept_in` (a run's output folder), derived levels' units
// are kept there between runs (derived_units_cache.hpp); `reuse_kept` false (run --verify)
// unions them again and keeps the new ones.
std::vector<GeoPackageLevel> prepare_geopackage_levels(const RunConfig& config, const std::atomic<bool>& cancel,
                                                       const std::string& kept_in = "", bool reuse_kept = true);

// OUT/<level>.gpkg for each of `levels` with the tables of release `latest`.
void write_level_geopackages(const std::string& out, const RunConfig& config, const std::string& latest,
                             std::vector<GeoPackageLevel> levels);

// prepare_geopackage_levels on a thread of its own, started at construction. `config` must
// outlive this. Destroyed untaken (the run stopped or failed), it cancels the preparation and
// waits for the thread.
class GeoPackageLevelsInBackground {
 public:
  explicit GeoPackageLevelsInBackground(const RunConfig& config, const std::string& kept_in = "",
                                        bool reuse_kept = true);
  ~GeoPackageLevelsInBackground();
  GeoPackageLevelsInBackground(const GeoPackageLevelsInBackground&) = delete;
  GeoPackageLevelsInBackground& operator=(const GeoPackageLevelsInBackground&) = delete;
  // Waits for the levels; rethrows the preparation's error (a zone file gone, …) here.
  std::vector<GeoPackageLevel> take();
  // Still preparing (not yet taken and not finished).
  bool running() const;

 private:
  std::atomic<bool> cancel_{false};
  std::future<std::vector<GeoPackageLevel>> levels_;
};

// While `background` (may be null) is still preparing, OpenMP regions started by this thread
// use one thread fewer (at least one): a parallel stage then leaves its core to the
// single-threaded union instead of stretching the run's critical path. Restored when destroyed.
class ThreadsBesideGeoPackages {
 public:
  explicit ThreadsBesideGeoPackages(const GeoPackageLevelsInBackground* background);
  ~ThreadsBesideGeoPackages();
  ThreadsBesideGeoPackages(const ThreadsBesideGeoPackages&) = delete;
  ThreadsBesideGeoPackages& operator=(const ThreadsBesideGeoPackages&) = delete;

 private:
  int restore_ = 0;  // 0: nothing changed
};

// A run's: the preparation started when `writer` (rank 0, which writes the GeoPackages) and
// output.geopackage_levels names any level, keeping derived units in `out` (reused unless
// `reuse_kept` is false); else null. Hold it no longer than `config`.
std::unique_ptr<GeoPackageLevelsInBackground> geopackage_levels_beside_run(const RunConfig& config, bool writer,
                                                                          const std::string& out, bool reuse_kept);

}  // namespace nl
