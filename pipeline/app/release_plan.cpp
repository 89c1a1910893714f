// Planning a run (see release_plan.hpp): compares each release with its manifest record.
#include "pipeline/app/release_plan.hpp"

#include <filesystem>

#include "pipeline/io/datacube.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

const char* action_name(ReleaseAction action) {
  switch (action) {
    case ReleaseAction::new_release: return "new";
    case ReleaseAction::changed: return "changed";
    case ReleaseAction::retry: return "retry";
    case ReleaseAction::forced: return "forced";
    case ReleaseAction::settings_changed: return "settings-changed";
    case ReleaseAction::tables_missing: return "tables-missing";
    case ReleaseAction::unchanged: return "unchanged";
  }
  return "?";
}

namespace {

// Calls add(role, path) for each input of `release`, in the manifest's order; role() names the
// input (built only when asked for).
template <class Add>
void each_input(const ReleaseFile& release, Add&& add) {
  for (const auto& t : release.tiles) {
    add([&] { return "tile " + t.tile.name(); }, t.path);
    if (!t.quality_path.empty()) add([&] { return "quality " + t.tile.name(); }, t.quality_path);
  }
  if (!release.tiles.empty()) return;
  if (!release.satellites.empty()) {  // a DMSP year: each satellite's composite
    for (const auto& s : release.satellites) add([&] { return "satellite " + s.satellite_year.id(); }, s.path);
    return;
  }
  auto band = [&] { return release.band > 0 ? " band " + std::to_string(release.band) : std::string(); };
  add([&] { return "raster" + band(); }, release.path);
  if (!release.quality_path.empty()) add([&] { return "quality" + band(); }, release.quality_path);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> release_inputs(const ReleaseFile& release) {
  std::vector<std::pair<std::string, std::string>> inputs;
  each_input(release, [&](const auto& role, const std::string& path) { inputs.emplace_back(role(), path); });
  return inputs;
}

std::vector<FileStamp> release_stamps(const ReleaseFile& release, bool hash) {
  std::vector<FileStamp> stamps;
  if (release.band > 0) {  // a cube's band: its pixels are its identity, not the file's mtime
    stamps.push_back({band_input_name(release.path, release.band), 0, 0, release.band_sha256});
    if (!release.quality_path.empty()) {
      if (!std::filesystem::exists(release.quality_path))
        throw UserError(release.quality_path + ": quality cube of release " + release.id + " not found");
      stamps.push_back({band_input_name(release.quality_path, release.band), 0, 0, release.quality_band_sha256});
    }
    return stamps;
  }
  for (const auto& [role, path] : release_inputs(release)) stamps.push_back(stamp_file(path, hash));
  return stamps;
}

bool same_inputs(const std::vector<FileStamp>& a, const std::vector<FileStamp>& b, bool by_hash) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].path != b[i].path) return false;
    // A cube band's stamp carries its pixels' hash from the start: compare it even on the fast path.
    if (!a[i].sha256.empty() && !b[i].sha256.empty() && a[i].sha256 != b[i].sha256) return false;
    if (by_hash ? a[i].sha256 != b[i].sha256 : !a[i].same_size_and_time(b[i])) return false;
  }
  return true;
}

namespace {

// Whether every input still has its recorded size and mtime (the run's trust; `--verify` hashes
// instead). The common case of a daily run's planning, for each release behind it: one stat per
// input and nothing built. A cube's band is stamped by its pixels' hash, known since the release
// was found.
bool inputs_untouched(const ReleaseFile& release, const std::vector<FileStamp>& recorded, FolderStats& folders) {
  if (release.band > 0) {
    try {
      return same_inputs(release_stamps(release, false), recorded, false);
    } catch (const UserError&) {
      return false;  // a missing quality cube: process, to record the failure
    }
  }
  size_t i = 0;
  bool same = true;
  each_input(release, [&](const auto&, const std::string& path) {
    same = same && i < recorded.size() && recorded[i].path == path && still_stamped(recorded[i], folders);
    ++i;
  });
  return same && i == recorded.size();
}

// A release done before with the current settings: unchanged, or changed by its inputs.
void compare_inputs(PlannedRelease& p, ReleaseRecord& record, bool verify, FolderStats& folders) {
  // --verify: a file replaced by one of the same size and mtime is found by its hash.
  if (!verify && inputs_untouched(p.release, record.inputs, folders)) {
    p.action = ReleaseAction::unchanged;
    return;
  }
  std::vector<FileStamp> now;
  try {
    now = release_stamps(p.release, false);
  } catch (const UserError&) {
    now.clear();  // a missing quality raster: process, to record the failure
  }
  bool same_content = false;
  if (!now.empty()) {
    for (auto& s : now)
      if (s.sha256.empty()) s.sha256 = sha256_file(s.path);
    same_content = same_inputs(now, record.inputs, true);
  }
  if (same_content) {
    p.action = ReleaseAction::unchanged;
    record.inputs = now;  // touched, not changed: remember the new mtime
  } else {
    p.action = ReleaseAction::changed;
    p.previous_sha = record.inputs.empty() ? "" : record.inputs[0].sha256;
  }
}

}  // namespace

std::vector<PlannedRelease> plan_releases(std::vector<ReleaseFile> releases, Manifest& manifest,
                                          const std::string& settings,
                                          const std::function<bool(const std::string& id)>& has_levels_record,
                                          const PlanOptions& options) {
  std::vector<PlannedRelease> plan;
  plan.reserve(releases.size());  // a long history's ReleaseFiles are moved once, not at each growth
  FolderStats folders;
  for (auto& release : releases) {
    PlannedRelease& p = plan.emplace_back(PlannedRelease{std::move(release), ReleaseAction::new_release, ""});
    const ReleaseFile& r = p.release;
    const auto it = manifest.releases.find(r.id);
    if (options.force) p.action = ReleaseAction::forced;
    else if (it == manifest.releases.end()) p.action = ReleaseAction::new_release;
    else if (it->second.state != "done") p.action = ReleaseAction::retry;
    else if (it->second.settings != settings) p.action = ReleaseAction::settings_changed;
    else if (!has_levels_record(r.id)) p.action = ReleaseAction::tables_missing;
    else compare_inputs(p, it->second, options.verify, folders);
  }
  return plan;
}

}  // namespace nl
