// MPI ranks (or one rank without MPI): window shares, gathers and barriers.
#include "pipeline/engine/cluster.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pipeline/io/diagnostics.hpp"

#ifdef NIGHTLIGHTS_WITH_MPI
#include <mpi.h>
#endif

namespace nl::cluster {

namespace {
int g_rank = 0, g_size = 1;
bool g_broken = false;

#ifdef NIGHTLIGHTS_WITH_MPI
bool g_initialised = false;

// A partial on the wire: the zone, then every field of the accumulator.
constexpr size_t kFields = 10;
void pack(const ZoneAccumulator& a, double* out) {
  const double v[kFields] = {a.count, a.nodata_count, a.valid_area, a.nodata_area, a.sum,
                             a.sum_area, a.lit_area, a.min, a.max, a.m2};
  std::memcpy(out, v, sizeof v);
}
ZoneAccumulator unpack(const double* v) {
  ZoneAccumulator a;
  a.count = v[0];
  a.nodata_count = v[1];
  a.valid_area = v[2];
  a.nodata_area = v[3];
  a.sum = v[4];
  a.sum_area = v[5];
  a.lit_area = v[6];
  a.min = v[7];
  a.max = v[8];
  a.m2 = v[9];
  return a;
}
#endif
}  // namespace

bool built_with_mpi() {
#ifdef NIGHTLIGHTS_WITH_MPI
  return true;
#else
  return false;
#endif
}

void init(int* argc, char*** argv) {
#ifdef NIGHTLIGHTS_WITH_MPI
  // Only under a launcher: a plain run stays a plain process (no MPI start-up cost or daemons).
  const bool launched = std::getenv("PMI_RANK") || std::getenv("PMI_SIZE") || std::getenv("OMPI_COMM_WORLD_SIZE") ||
                        std::getenv("PMIX_RANK") || std::getenv("SLURM_PROCID") || std::getenv("MPI_LOCALNRANKS");
  if (!launched) return;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_initialised = true;
#else
  (void)argc;
  (void)argv;
#endif
}

void finalize() {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised) MPI_Finalize();
  g_initialised = false;
#endif
}

void mark_broken() { g_broken = true; }
bool broken() { return g_broken; }

int rank() { return g_rank; }
int size() { return g_size; }
bool is_writer() { return g_rank == 0; }

void abort_job(const std::string& message, int code) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

void barrier() {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

int64_t sum_over_ranks(int64_t value) {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) {
    long long in = value, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    return out;
  }
#endif
  return value;
}

void gather_partials(std::vector<WindowPartials>& partials, const std::string& local_error) {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) {
    // Errors first, collectively: every rank learns of a failure anywhere.
    constexpr int kMessage = 1024;
    std::vector<char> mine(kMessage, '\0'), all(static_cast<size_t>(kMessage) * g_size);
    std::strncpy(mine.data(), local_error.c_str(), kMessage - 1);
    MPI_Allgather(mine.data(), kMessage, MPI_CHAR, all.data(), kMessage, MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 0; r < g_size; ++r)
      if (all[static_cast<size_t>(r) * kMessage] != '\0')
        throw UserError(std::string(&all[static_cast<size_t>(r) * kMessage]) +
                        (r ? " (on rank " + std::to_string(r) + ")" : ""));
    // Then the partials this rank filled (a tile with runs always has some): [tile, count,
    // (zone, fields…)…]…
    std::vector<double> buffer;
    for (size_t t = 0; t < partials.size(); ++t) {
      if (partials[t].empty()) continue;
      buffer.push_back(static_cast<double>(t));
      buffer.push_back(static_cast<double>(partials[t].size()));
      for (const auto& [zone, acc] : partials[t]) {
        buffer.push_back(static_cast<double>(zone));
        buffer.resize(buffer.size() + kFields);
        pack(acc, buffer.data() + buffer.size() - kFields);
      }
    }
    int count = static_cast<int>(buffer.size());
    std::vector<int> counts(g_size), offsets(g_size);
    MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<double> received;
    if (g_rank == 0) {
      int total = 0;
      for (int r = 0; r < g_size; ++r) {
        offsets[r] = total;
        total += counts[r];
      }
      received.resize(static_cast<size_t>(total));
    }
    MPI_Gatherv(buffer.data(), count, MPI_DOUBLE, received.data(), counts.data(), offsets.data(), MPI_DOUBLE, 0,
                MPI_COMM_WORLD);
    if (g_rank == 0) {
      for (int r = 1; r < g_size; ++r) {
        size_t i = static_cast<size_t>(offsets[r]);
        const size_t end = i + static_cast<size_t>(counts[r]);
        while (i < end) {
          const auto t = static_cast<size_t>(received[i++]);
          const auto n = static_cast<size_t>(received[i++]);
          partials[t].clear();
          for (size_t k = 0; k < n; ++k, i += 1 + kFields)
            partials[t].emplace_back(static_cast<uint32_t>(received[i]), unpack(&received[i + 1]));
        }
      }
    }
    return;
  }
#endif
  if (!local_error.empty()) throw UserError(local_error);
  (void)partials;
}

void broadcast_accumulators(std::vector<ZoneAccumulator>& zones) {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) {
    std::vector<double> v(zones.size() * kFields);
    if (g_rank == 0)
      for (size_t z = 0; z < zones.size(); ++z) pack(zones[z], v.data() + z * kFields);
    MPI_Bcast(v.data(), static_cast<int>(v.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (g_rank != 0)
      for (size_t z = 0; z < zones.size(); ++z) zones[z] = unpack(v.data() + z * kFields);
  }
#else
  (void)zones;
#endif
}

// A release on the wire: two messages, the text and then [zone count, fields…] in doubles.
void send_release(int tag, const std::string& text, const std::vector<ZoneAccumulator>& zones) {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) {
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, tag, MPI_COMM_WORLD);
    std::vector<double> v(1 + zones.size() * kFields);
    v[0] = static_cast<double>(zones.size());
    for (size_t z = 0; z < zones.size(); ++z) pack(zones[z], v.data() + 1 + z * kFields);
    MPI_Send(v.data(), static_cast<int>(v.size()), MPI_DOUBLE, 0, tag, MPI_COMM_WORLD);
    return;
  }
#endif
  (void)tag, (void)text, (void)zones;
  throw UserError("internal error: send_release without MPI ranks");
}

void receive_release(int from_rank, int tag, std::string& text, std::vector<ZoneAccumulator>& zones) {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) {
    MPI_Status status;
    int n = 0;
    MPI_Probe(from_rank, tag, MPI_COMM_WORLD, &status);
    MPI_Get_count(&status, MPI_CHAR, &n);
    text.assign(static_cast<size_t>(n), '\0');
    MPI_Recv(text.data(), n, MPI_CHAR, from_rank, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Probe(from_rank, tag, MPI_COMM_WORLD, &status);
    MPI_Get_count(&status, MPI_DOUBLE, &n);
    std::vector<double> v(static_cast<size_t>(n));
    MPI_Recv(v.data(), n, MPI_DOUBLE, from_rank, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    zones.resize(static_cast<size_t>(v[0]));
    for (size_t z = 0; z < zones.size(); ++z) zones[z] = unpack(v.data() + 1 + z * kFields);
    return;
  }
#endif
  (void)from_rank, (void)tag, (void)text, (void)zones;
  throw UserError("internal error: receive_release without MPI ranks");
}

}  // namespace nl::cluster
