// Whole releases on MPI ranks (see release_ranks.hpp). The accumulators travel as doubles
// (cluster::send_release); everything else as a small JSON text, doubles written so they read
// back to the same bits.
#include "pipeline/app/release_ranks.hpp"

#include <nlohmann/json.hpp>

#include "pipeline/engine/cluster.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace {

nlohmann::json measurement_json(const Measurement& m) {
  nlohmann::json j;
  const GridGeometry& g = m.input.raster.grid;
  j["grid"] = {g.origin_x, g.origin_y, g.cell_width, g.cell_height, g.width, g.height};
  j["stamps"] = nlohmann::json::array();
  for (const FileStamp& s : m.input.stamps)
    j["stamps"].push_back({{"path", s.path}, {"size", s.size}, {"mtime_ns", s.mtime_ns}, {"sha256", s.sha256}});
  j["zonal_seconds"] = m.zonal_seconds;
  j["cells_read"] = m.result.cells_read;
  j["negative_cells"] = m.result.negative_cells;
  j["windows_read"] = m.result.windows_read;
  if (m.input.mosaic) {
    j["tiles_needed"] = m.input.mosaic->needed;
    j["tiles_missing"] = nlohmann::json::array();
    for (const TileId& t : m.input.mosaic->missing) j["tiles_missing"].push_back(t.name());
  }
  return j;
}

Measurement measurement_from_json(const nlohmann::json& j, std::vector<ZoneAccumulator> zones) {
  Measurement m;
  const auto& g = j.at("grid");
  m.input.raster.grid = {g[0].get<double>(), g[1].get<double>(), g[2].get<double>(), g[3].get<double>(),
                         g[4].get<int64_t>(), g[5].get<int64_t>()};
  for (const auto& s : j.at("stamps"))
    m.input.stamps.push_back({s.at("path").get<std::string>(), s.at("size").get<int64_t>(),
                              s.at("mtime_ns").get<int64_t>(), s.at("sha256").get<std::string>()});
  m.zonal_seconds = j.at("zonal_seconds").get<double>();
  m.result.zones = std::move(zones);
  m.result.cells_read = j.at("cells_read").get<int64_t>();
  m.result.negative_cells = j.at("negative_cells").get<int64_t>();
  m.result.windows_read = j.at("windows_read").get<int64_t>();
  if (j.contains("tiles_needed")) {
    // Only what the provenance and the manifest record: no VRT exists on this rank.
    m.input.mosaic = std::make_unique<TileMosaic>();
    m.input.mosaic->needed = j.at("tiles_needed").get<size_t>();
    for (const auto& name : j.at("tiles_missing"))
      if (auto t = parse_tile_id(name.get<std::string>())) m.input.mosaic->missing.push_back(*t);
  }
  return m;
}

}  // namespace

bool releases_on_ranks(size_t releases_to_do) {
  return cluster::size() > 1 && releases_to_do > static_cast<size_t>(cluster::size());
}

int release_owner(size_t k) { return static_cast<int>(k % static_cast<size_t>(cluster::size())); }

void send_measurement(size_t k, const Measurement* m, const std::string& error) {
  nlohmann::json j = m ? measurement_json(*m) : nlohmann::json{{"error", error}};
  cluster::send_release(static_cast<int>(k), j.dump(), m ? m->result.zones : std::vector<ZoneAccumulator>{});
}

std::optional<Measurement> receive_measurement(size_t k, int owner, std::string& error) {
  std::string text;
  std::vector<ZoneAccumulator> zones;
  cluster::receive_release(owner, static_cast<int>(k), text, zones);
  const nlohmann::json j = nlohmann::json::parse(text);
  if (j.contains("error")) {
    error = j.at("error").get<std::string>() + " (on rank " + std::to_string(owner) + ")";
    return std::nullopt;
  }
  Measurement m = measurement_from_json(j, std::move(zones));
  m.rank = owner;
  return m;
}

void process_releases(size_t count, bool whole_releases, const RankSteps& steps) {
  const int me = cluster::rank();
  if (whole_releases)
    log_info(std::to_string(count) + " releases on " + std::to_string(cluster::size()) + " ranks: whole releases, " +
             (steps.owner ? "unit u (a release, or a batch of a cube's bands; in plan order)"
                          : "release k (in plan order)") +
             " measured on rank " + (steps.owner ? "u" : "k") + " mod " + std::to_string(cluster::size()));
  // An interruption leaves the loop on this rank only: the others may wait on it, so the job
  // must end with MPI_Abort rather than a barrier.
  auto stops = [&](const std::exception& e) {
    if (!steps.stops_run(e)) return false;
    if (whole_releases) cluster::mark_broken();
    return true;
  };
  for (size_t k = 0; k < count; ++k) {
    // Windows split: every rank measures every release together; whole: its owner alone.
    const int owner = !whole_releases ? me : steps.owner ? steps.owner(k) : release_owner(k);
    if (owner != me && me != 0) continue;
    const auto started = std::chrono::steady_clock::now();
    std::optional<Measurement> m;
    std::string error;
    if (owner == me) {
      try {
        m = steps.measure(k);
        if (whole_releases) m->rank = me;
      } catch (const std::exception& e) {
        if (stops(e)) throw;
        error = e.what();
      }
      if (me != 0) {  // rank 0 alone writes
        if (whole_releases) send_measurement(k, m ? &*m : nullptr, error);
        continue;
      }
    } else {
      m = receive_measurement(k, owner, error);
    }
    try {
      if (!m) throw UserError(error);
      steps.commit(k, *m, started);
    } catch (const std::exception& e) {
      if (stops(e)) throw;
      steps.fail(k, e.what());
    }
  }
}

}  // namespace nl
