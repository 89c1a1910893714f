// MPI (when built with it): ranks, collective errors, and shipping accumulators between ranks as
// flat records whose layout signature the receiver checks.
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

// Each rank's buffer opens with the layout signature of accumulator_fields(); each record is
// [zone, length, pack_accumulator…], and unpacking must end exactly at length: a rank built with
// another accumulator layout fails loudly instead of reading numbers into the wrong fields.
void check_layout(double signature, int from_rank) {
  if (signature != accumulator_layout_signature())
    throw UserError("rank " + std::to_string(from_rank) +
                    " sent accumulators of another layout (mixed nightlights builds in one MPI job?)");
}
void append_record(uint32_t zone, const ZoneAccumulator& a, std::vector<double>& out) {
  out.push_back(static_cast<double>(zone));
  const size_t at = out.size();
  out.push_back(0);
  pack_accumulator(a, out);
  out[at] = static_cast<double>(out.size() - at - 1);
}
std::pair<uint32_t, ZoneAccumulator> read_record(const double*& p, const double* end, int from_rank) {
  if (end - p < 2) throw UserError("accumulator record from rank " + std::to_string(from_rank) + " cut short");
  const auto zone = static_cast<uint32_t>(p[0]);
  const auto length = static_cast<size_t>(p[1]);
  p += 2;
  const double* record_end = p + length;
  if (length > static_cast<size_t>(end - p) ) throw UserError("accumulator record from rank " + std::to_string(from_rank) + " cut short");
  ZoneAccumulator a;
  try {
    a = unpack_accumulator(p, record_end);
  } catch (const std::runtime_error& e) {
    throw UserError("accumulator record from rank " + std::to_string(from_rank) + ": " + e.what());
  }
  if (p != record_end)
    throw UserError("accumulator record from rank " + std::to_string(from_rank) + " has another length than this build reads");
  return {zone, std::move(a)};
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

void init(int* argc, char*** argv, bool launched) {
#ifdef NIGHTLIGHTS_WITH_MPI
  // Only under a launcher: a plain run stays a plain process (no MPI start-up cost or daemons).
  if (!launched) return;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_initialised = true;
#else
  (void)launched;
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
    // Then the partials this rank filled (a tile with runs always has some): [signature,
    // (tile, count, record…)…]
    std::vector<double> buffer{accumulator_layout_signature()};
    for (size_t t = 0; t < partials.size(); ++t) {
      if (partials[t].empty()) continue;
      buffer.push_back(static_cast<double>(t));
      buffer.push_back(static_cast<double>(partials[t].size()));
      for (const auto& [zone, acc] : partials[t]) append_record(zone, acc, buffer);
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
        const double* p = received.data() + offsets[r];
        const double* end = p + counts[r];
        check_layout(counts[r] > 0 ? *p++ : 0.0, r);
        while (p < end) {
          if (end - p < 2) throw UserError("partials from rank " + std::to_string(r) + " cut short");
          const auto t = static_cast<size_t>(p[0]);
          const auto n = static_cast<size_t>(p[1]);
          p += 2;
          if (t >= partials.size()) throw UserError("partials from rank " + std::to_string(r) + " name an unknown tile");
          partials[t].clear();
          for (size_t k = 0; k < n; ++k) partials[t].push_back(read_record(p, end, r));
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
    // Variable length (sketches): the size first, then [signature, record…].
    std::vector<double> v;
    if (g_rank == 0) {
      v.push_back(accumulator_layout_signature());
      for (size_t z = 0; z < zones.size(); ++z) append_record(static_cast<uint32_t>(z), zones[z], v);
    }
    long long n = static_cast<long long>(v.size());
    MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    v.resize(static_cast<size_t>(n));
    MPI_Bcast(v.data(), static_cast<int>(v.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (g_rank != 0) {
      const double* p = v.data();
      const double* end = p + v.size();
      check_layout(*p++, 0);
      for (size_t z = 0; z < zones.size(); ++z) {
        auto [zone, acc] = read_record(p, end, 0);
        if (zone != z) throw UserError("accumulators from rank 0 out of order");
        zones[z] = std::move(acc);
      }
    }
  }
#else
  (void)zones;
#endif
}

// A release on the wire: two messages, the text and then [signature, record…] in doubles, one
// record per zone in zone order (variable length: sketches).
void send_release(int tag, const std::string& text, const std::vector<ZoneAccumulator>& zones) {
#ifdef NIGHTLIGHTS_WITH_MPI
  if (g_initialised && g_size > 1) {
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, tag, MPI_COMM_WORLD);
    std::vector<double> v{accumulator_layout_signature()};
    for (size_t z = 0; z < zones.size(); ++z) append_record(static_cast<uint32_t>(z), zones[z], v);
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
    const double* p = v.data();
    const double* end = p + v.size();
    if (p == end) throw UserError("an empty release message from rank " + std::to_string(from_rank));
    check_layout(*p++, from_rank);
    zones.clear();
    while (p != end) {
      auto [zone, acc] = read_record(p, end, from_rank);
      if (zone != zones.size()) throw UserError("accumulators from rank " + std::to_string(from_rank) + " out of order");
      zones.push_back(std::move(acc));
    }
    return;
  }
#endif
  (void)from_rank, (void)tag, (void)text, (void)zones;
  throw UserError("internal error: receive_release without MPI ranks");
}

}  // namespace nl::cluster
