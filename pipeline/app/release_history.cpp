// Releases processed before, as the manifest and output folder record them (see
// release_history.hpp).
#include "pipeline/app/release_history.hpp"

#include <filesystem>
#include <set>

#include "pipeline/app/release_plan.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/release_folder.hpp"

namespace nl {

namespace fs = std::filesystem;

std::vector<std::string> panel_releases(const Manifest& manifest, const std::string& out) {
  std::vector<std::string> ids;
  const std::set<std::string> folders = release_folders(out + "/releases");
  for (const auto& [id, r] : manifest.releases)
    if ((r.state == "done" || (r.state == "failed" && r.last_good)) && folders.count(id)) ids.push_back(id);
  return ids;
}

std::vector<std::pair<std::string, std::string>> deleted_rasters(const Manifest& manifest, const std::string& out,
                                                                 const std::vector<ReleaseFile>& found,
                                                                 const std::string& only) {
  std::set<std::string> found_ids;
  for (const auto& r : found) found_ids.insert(r.id);
  std::vector<std::pair<std::string, std::string>> ids;
  for (const auto& id : panel_releases(manifest, out)) {
    const ReleaseRecord& r = manifest.releases.at(id);
    const auto& inputs = r.state == "done" ? r.inputs : r.last_good->inputs;
    if (found_ids.count(id) || inputs.empty() || (!only.empty() && id != only)) continue;
    std::error_code ec;
    if (!fs::exists(inputs.front().path, ec)) ids.emplace_back(id, inputs.front().path);
  }
  return ids;
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
