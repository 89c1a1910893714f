// The incremental convergence store (see convergence_store.hpp). Correctness first: whatever the
// store cannot prove unchanged is rebuilt, and the tables are always written from a state that a
// full rebuild would give bit for bit (analysis/convergence_state).
#include "pipeline/app/convergence_store.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "kernels/accumulator.hpp"
#include "pipeline/analysis/convergence_state.hpp"
#include "pipeline/analysis/convergence_tables.hpp"
#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/app/levels_records_seen.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Bumped when what the store keeps, or how level_values reads a record, changes. 2: a release's
// stamp is its tables' version (PanelRelease), no longer its levels record's stat.
constexpr int kStoreVersion = 2;

// Everything a stored value depends on besides its release's levels record: the build (a new
// build may read records differently), the record's version and accumulator layout, the
// settings level_values takes and the levels kept. Parts and state both carry it.
json store_key(const RunConfig& config) {
  return {{"format", "nightlights convergence store"},
          {"version", kStoreVersion},
          {"tool", NIGHTLIGHTS_VERSION},
          {"levels_record", kReleaseLevelsVersion},
          {"accumulator_layout", accumulator_layout_signature()},
          {"min_valid_fraction", config.min_valid_fraction},
          {"levels", config.convergence.levels}};
}

std::optional<json> read_cbor(const std::string& path) {
  const auto bytes = read_whole_file(path);
  if (!bytes) return std::nullopt;
  try {
    return json::from_cbor(*bytes);
  } catch (const std::exception&) {
    return std::nullopt;  // damaged: rebuilt from the records
  }
}

void write_cbor(const std::string& path, const json& j) {
  const std::vector<uint8_t> bytes = json::to_cbor(j);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

class ConvergenceStore {
 public:
  // A release's stamp is its tables' version: a redone release's differs, and no release's
  // folder is looked into to learn it.
  ConvergenceStore(const std::string& out, const RunConfig& config, const std::vector<PanelRelease>& releases)
      : out_(out), dir_(out + "/panel/.convergence"), config_(config), ids_(release_ids(releases)),
        key_(store_key(config)) {
    for (const auto& r : releases) stamps_.push_back(r.version);
  }

  ConvergenceUpdate update() {
    make_directories(dir_ + "/releases");
    size_t kept = 0;
    std::string why;  // why the stored state was not grown (empty: there was none)
    bool incremental = load_state(kept, why);
    for (size_t i = kept; incremental && i < ids_.size(); ++i) {
      const std::vector<LevelValues> v = values_of(i);
      for (size_t l = 0; l < states_.size() && incremental; ++l) {
        incremental = append_release(states_[l], v[l]);
        if (!incremental)
          why = "a unit of level " + config_.convergence.levels[l] +
                "'s balanced panel is missing or not valid in " + ids_[i];
      }
    }
    if (!incremental) {
      if (!why.empty())
        log_info("convergence tables rebuilt from all " + std::to_string(ids_.size()) + " releases: " + why);
      rebuild();
    }
    const bool gdp = !config_.convergence.gdp_path.empty();
    if (gdp && all_.empty()) load_all();  // the elasticity pools every (unit, release)
    write_tables(gdp);
    if (!incremental || kept != ids_.size()) write_state();
    return stats_;
  }

 private:
  std::string part_path(size_t i) const { return dir_ + "/releases/" + ids_[i] + ".v1.cbor"; }

  // Release i's values of every convergence level: its stored part when the part's key and
  // stamp match, else read from its levels record (and stored for the next run).
  std::vector<LevelValues> values_of(size_t i) {
    const auto& levels = config_.convergence.levels;
    if (const auto part = read_cbor(part_path(i))) {
      try {
        if (part->at("key") == key_ && part->at("release") == ids_[i] && part->at("stamp") == stamps_[i]) {
          std::vector<LevelValues> v;
          for (size_t l = 0; l < levels.size(); ++l) v.push_back(level_values_from_json(part->at("levels").at(l)));
          ++stats_.parts_read;
          return v;
        }
      } catch (const std::exception&) {
        // A part of another shape: read the record instead.
      }
    }
    const auto record = read_release_levels(out_, ids_[i]);
    if (!record) throw_missing_levels_record(out_, ids_[i]);
    ++stats_.records_decoded;
    std::vector<LevelValues> v;
    json stored = json::array();
    for (const auto& level : levels) {
      v.push_back(level_values(*record, level, config_.min_valid_fraction));
      stored.push_back(level_values_json(v.back()));
    }
    write_cbor(part_path(i), {{"key", key_}, {"release", ids_[i]}, {"stamp", stamps_[i]}, {"levels", stored}});
    return v;
  }

  // The stored state when it covers a prefix of today's releases unchanged; `kept` releases.
  // Otherwise false, and `why` says what differs (empty when there is no stored state).
  bool load_state(size_t& kept, std::string& why) {
    const std::string path = dir_ + "/state.v1.cbor";
    const auto st = read_cbor(path);
    if (!st) {
      if (std::filesystem::exists(path)) why = "its stored state is unreadable";
      return false;
    }
    try {
      const auto ids = st->at("releases").get<std::vector<std::string>>();
      const auto stamps = st->at("stamps").get<std::vector<std::string>>();
      const json& levels = st->at("levels");
      const size_t n_levels = config_.convergence.levels.size();
      if (st->at("key") != key_ || levels.size() != n_levels) {
        why = "other settings, levels or build";
        return false;
      }
      if (ids.empty() || ids.size() > ids_.size() || stamps.size() != ids.size()) {
        why = "releases were dropped";
        return false;
      }
      for (size_t i = 0; i < ids.size(); ++i)
        if (ids[i] != ids_[i] || stamps[i] != stamps_[i]) {
          why = ids[i] != ids_[i] ? "a release dropped or inserted at " + ids[i] : "release " + ids[i] + " was redone";
          return false;
        }
      std::vector<ConvergenceState> states;
      for (size_t l = 0; l < n_levels; ++l) {
        states.push_back(convergence_state_from_json(levels.at(l)));
        if (states.back().sigma.size() != ids.size()) throw std::runtime_error("σ of another length");
      }
      states_ = std::move(states);
      kept = ids.size();
      return true;
    } catch (const std::exception&) {
      why = "its stored state is unreadable";
      return false;
    }
  }

  void load_all() {
    const size_t n_levels = config_.convergence.levels.size();
    all_.assign(n_levels, {});
    for (auto& a : all_) a.reserve(ids_.size());
    for (size_t i = 0; i < ids_.size(); ++i) {
      std::vector<LevelValues> v = values_of(i);
      for (size_t l = 0; l < n_levels; ++l) all_[l].push_back(std::move(v[l]));
    }
  }

  // Every level's state from every release's values; parts of releases no longer listed go.
  void rebuild() {
    stats_.rebuilt = true;
    load_all();
    states_.clear();
    for (const auto& values : all_) states_.push_back(convergence_state(values));
    const std::set<std::string> listed(ids_.begin(), ids_.end());
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_ + "/releases", ec)) {
      const std::string name = entry.path().filename().string();
      const auto dot = name.rfind(".v1.cbor");
      if (dot == std::string::npos || dot + 8 != name.size() || !listed.count(name.substr(0, dot)))
        fs::remove(entry.path(), ec);
    }
  }

  void write_tables(bool gdp) {
    const auto& levels = config_.convergence.levels;
    std::string all = convergence_csv_header();
    for (size_t l = 0; l < levels.size(); ++l) {
      const ConvergenceTables t =
          convergence_tables(levels[l], ids_, states_[l], config_.convergence.region_dummies,
                             gdp ? &config_.convergence.gdp : nullptr, gdp ? &all_[l] : nullptr);
      all += t.convergence_csv;
      for (const auto& [name, table] : t.growth_csv)
        write_file_atomically(out_ + "/panel/growth_" + name + ".csv", table);
    }
    write_file_atomically(out_ + "/panel/convergence.csv", all);
  }

  // Last, after the parts and the tables: a run stopped before this redoes its new releases.
  void write_state() {
    json levels = json::array();
    for (const auto& s : states_) levels.push_back(convergence_state_json(s));
    write_cbor(dir_ + "/state.v1.cbor", {{"key", key_}, {"releases", ids_}, {"stamps", stamps_}, {"levels", levels}});
  }

  const std::string out_, dir_;
  const RunConfig& config_;
  const std::vector<std::string> ids_;
  const json key_;
  std::vector<std::string> stamps_;               // [release]: its tables' version
  std::vector<ConvergenceState> states_;          // [level]
  std::vector<std::vector<LevelValues>> all_;     // [level][release], when every release was read
  ConvergenceUpdate stats_;
};

}  // namespace

ConvergenceUpdate update_convergence_tables(const std::string& out, const RunConfig& config,
                                            const std::vector<PanelRelease>& releases) {
  if (releases.empty()) return {};
  return ConvergenceStore(out, config, releases).update();
}

}  // namespace nl
