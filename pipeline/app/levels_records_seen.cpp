// The levels records seen in committed release folders (see levels_records_seen.hpp).
#include "pipeline/app/levels_records_seen.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "pipeline/analysis/release_levels.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/output_file.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

std::string levels_records_seen_path(const std::string& out) {
  return out + "/releases/." + kReleaseLevelsFile + ".seen";
}

LevelsRecordsSeen::LevelsRecordsSeen(const std::vector<PanelRelease>& now, const std::string& remembered,
                                     bool trust_remembered)
    : now_(now), seen_(now.size(), 0) {
  // Both are in id order (text() writes in now's): one merge, no set of lines.
  size_t i = 0;
  const std::string_view lines = remembered;
  for (size_t from = 0; trust_remembered && from < lines.size();) {
    size_t eol = lines.find('\n', from);
    if (eol == std::string_view::npos) eol = lines.size();  // a line cut short matches no folder
    const std::string_view line = lines.substr(from, eol - from);
    from = eol + 1;
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, tab), version = line.substr(tab + 1);
    while (i < now_.size() && now_[i].id < id) ++i;
    if (i < now_.size() && now_[i].id == id && now_[i].version == version) seen_[i] = 1;
  }
  changed_ = lines != text();
}

bool LevelsRecordsSeen::has_record(const std::string& id, const std::function<bool()>& look) {
  // now_ is in id order (the manifest's), so one binary search finds the folder.
  const auto it = std::lower_bound(now_.begin(), now_.end(), id,
                                   [](const PanelRelease& r, const std::string& key) { return r.id < key; });
  if (it == now_.end() || it->id != id) return false;
  char& seen = seen_[static_cast<size_t>(it - now_.begin())];
  if (seen) return true;
  if (!look()) return false;
  seen = 1;
  changed_ = true;
  return true;
}

std::string LevelsRecordsSeen::text() const {
  std::string t;
  for (size_t i = 0; i < now_.size(); ++i)
    if (seen_[i]) t.append(now_[i].id).append("\t").append(now_[i].version).append("\n");
  return t;
}

LevelsRecordsSeen load_levels_records_seen(const std::vector<PanelRelease>& committed, const std::string& out,
                                           bool verify) {
  return LevelsRecordsSeen(committed, read_whole_file(levels_records_seen_path(out)).value_or(""),
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
