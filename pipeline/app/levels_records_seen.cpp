// The levels records seen in committed release folders (see levels_records_seen.hpp).
#include "pipeline/app/levels_records_seen.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

namespace {

std::string seen_line(const PanelRelease& r) { return r.id + "\t" + r.version; }

}  // namespace

std::string levels_records_seen_path(const std::string& out) {
  return out + "/releases/." + kReleaseLevelsFile + ".seen";
}

LevelsRecordsSeen::LevelsRecordsSeen(const std::vector<PanelRelease>& now, const std::string& remembered,
                                     bool trust_remembered)
    : now_(now) {
  if (trust_remembered) {
    size_t from = 0;
    while (from < remembered.size()) {
      size_t eol = remembered.find('\n', from);
      if (eol == std::string::npos) eol = remembered.size();  // a line cut short matches no folder
      seen_.insert(remembered.substr(from, eol - from));
      from = eol + 1;
    }
  }
  changed_ = text() != remembered;
}

bool LevelsRecordsSeen::has_record(const std::string& id, const std::function<bool()>& look) {
  // now_ is in id order (the manifest's), so one binary search finds the folder.
  const auto it = std::lower_bound(now_.begin(), now_.end(), id,
                                   [](const PanelRelease& r, const std::string& key) { return r.id < key; });
  if (it == now_.end() || it->id != id) return false;
  const std::string line = seen_line(*it);
  if (seen_.count(line)) return true;
  if (!look()) return false;
  seen_.insert(line);
  changed_ = true;
  return true;
}

std::string LevelsRecordsSeen::text() const {
  std::string t;
  for (const auto& r : now_)
    if (const std::string line = seen_line(r); seen_.count(line)) t += line + "\n";
  return t;
}

LevelsRecordsSeen load_levels_records_seen(const Manifest& manifest, const std::string& out, bool verify) {
  return LevelsRecordsSeen(panel_releases(manifest, out), read_whole_file(levels_records_seen_path(out)).value_or(""),
                           !verify);
}

void save_levels_records_seen(const LevelsRecordsSeen& seen, const std::string& out) {
  if (!seen.changed()) return;
  const std::string path = levels_records_seen_path(out), temp = temporary_path(path);
  const std::string text = seen.text();
  {
    std::ofstream f(temp, std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (f.close(), !f) {
      std::remove(temp.c_str());
      return;  // not written: the next run looks into the folders again
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) std::remove(temp.c_str());
}

void forget_levels_records_seen(const std::string& out) { std::remove(levels_records_seen_path(out).c_str()); }

void throw_missing_levels_record(const std::string& out, const std::string& id) {
  forget_levels_records_seen(out);
  throw UserError(out + "/releases/" + id + ": no " + kReleaseLevelsFile + "; run again to rebuild it");
}

}  // namespace nl
