// Releases processed before, as the manifest and output folder record them (see
// release_history.hpp).
#include "pipeline/app/release_history.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <string_view>

#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/app/levels_records_seen.hpp"
#include "pipeline/app/release_plan.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/release_folder.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

namespace fs = std::filesystem;

std::vector<PanelRelease> panel_releases(const Manifest& manifest, const std::vector<ReleaseFolderStamp>& folders) {
  std::vector<PanelRelease> kept;
  kept.reserve(manifest.releases.size());
  auto folder = folders.begin();
  for (const auto& [id, r] : manifest.releases) {
    while (folder != folders.end() && folder->first < id) ++folder;
    if (folder == folders.end() || folder->first != id) continue;
    // The tables in the folder are those of the last good run: a failure since keeps them.
    const std::string* finished = r.state == "done" ? &r.finished
                                  : r.state == "failed" && r.last_good ? &r.last_good->finished
                                                                       : nullptr;
    if (finished) kept.push_back({id, std::to_string(folder->second) + " " + *finished});
  }
  return kept;
}

std::vector<std::string> release_ids(const std::vector<PanelRelease>& releases) {
  std::vector<std::string> ids;
  ids.reserve(releases.size());
  for (const auto& r : releases) ids.push_back(r.id);
  return ids;
}

std::vector<std::pair<std::string, std::string>> deleted_rasters(const Manifest& manifest,
                                                                 const std::vector<PanelRelease>& committed,
                                                                 const std::vector<PlannedRelease>& found,
                                                                 const std::string& only) {
  std::vector<std::string_view> found_ids;
  found_ids.reserve(found.size());
  for (const auto& p : found) found_ids.push_back(p.release.id);
  std::sort(found_ids.begin(), found_ids.end());
  std::vector<std::pair<std::string, std::string>> ids;
  for (const PanelRelease& kept : committed) {
    const std::string& id = kept.id;
    if (std::binary_search(found_ids.begin(), found_ids.end(), std::string_view(id)) || (!only.empty() && id != only))
      continue;
    const ReleaseRecord& r = manifest.releases.at(id);
    const auto& inputs = r.state == "done" ? r.inputs : r.last_good->inputs;
    std::error_code ec;
    if (!inputs.empty() && !fs::exists(inputs.front().path, ec)) ids.emplace_back(id, inputs.front().path);
  }
  return ids;
}

std::vector<PlannedRelease> plan_against_history(std::vector<ReleaseFile> releases, Manifest& manifest,
                                                 const std::vector<PanelRelease>& committed,
                                                 const std::string& settings, const std::string& out,
                                                 const PlanOptions& options, bool remember) {
  LevelsRecordsSeen seen = load_levels_records_seen(committed, out, options.verify);
  auto has_record = [&](const std::string& id) {
    return seen.has_record(id, [&] { return fs::exists(out + "/releases/" + id + "/" + kReleaseLevelsFile); });
  };
  std::vector<PlannedRelease> plan = plan_releases(std::move(releases), manifest, settings, has_record, options);
  if (remember) save_levels_records_seen(seen, out);
  return plan;
}

void remove_stale_output_temporaries(const std::string& out, const std::vector<DirectoryEntry>& releases_entries,
                                     const std::vector<PanelRelease>& committed,
                                     const std::vector<PlannedRelease>& plan) {
  std::set<std::string> redone;
  for (const PlannedRelease& p : plan)
    if (p.action != ReleaseAction::unchanged) redone.insert(p.release.id);
  remove_stale_temporaries(out, "releases", releases_entries, [&](const std::string& name) {
    const auto it = std::lower_bound(committed.begin(), committed.end(), name,
                                     [](const PanelRelease& r, const std::string& id) { return r.id < id; });
    return it == committed.end() || it->id != name || redone.count(name);
  });
}

namespace {

std::optional<GoodTables> kept_tables(const Manifest& manifest, const std::string& out, const std::string& id,
                                      const std::string& settings, bool may_remove) {
  const auto it = manifest.releases.find(id);
  if (it == manifest.releases.end()) return std::nullopt;
  const ReleaseRecord& old = it->second;
  std::optional<GoodTables> good =
      old.state == "done" ? GoodTables{old.finished, old.inputs, old.settings} : old.last_good;
  const std::string dir = out + "/releases/" + id;
  if (!good || !fs::exists(dir)) return std::nullopt;
  if (good->settings == settings) return good;
  std::error_code ec;
  if (may_remove) fs::remove_all(dir, ec);
  return std::nullopt;
}

}  // namespace

ReleaseRecord failure_record(const Manifest& manifest, const std::string& out, const ReleaseFile& release,
                             const std::string& reason, const std::string& settings, bool may_remove) {
  ReleaseRecord rec;
  rec.state = "failed";
  rec.reason = reason;
  rec.finished = utc_now();
  try {
    rec.inputs = release_stamps(release, false);
  } catch (const UserError&) {
    // an input that cannot be stamped is part of why it failed
  }
  rec.last_good = kept_tables(manifest, out, release.id, settings, may_remove);
  return rec;
}

}  // namespace nl
