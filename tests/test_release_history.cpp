// What a run knows of the releases processed before without looking into their folders: each
// committed release's version (its folder's inode from one listing, its tables' finish time from
// the manifest), which levels records were seen (LevelsRecordsSeen: a lookup once per version of
// a folder), and the clean-up of temporaries that does not list the folders a run leaves alone.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "pipeline/app/levels_records_seen.hpp"
#include "pipeline/app/release_history.hpp"
#include "pipeline/io/temporary_files.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace nl;
using nl::testsupport::dead_pid;
using nl::testsupport::temp_dir;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// OUT/releases as a run lists it once.
std::vector<nl::ReleaseFolderStamp> listed(const std::string& out) {
  return nl::release_folders(nl::list_release_folder(out + "/releases"));
}

uint64_t inode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("release history: a levels record is looked up once per version of its folder, remembered after") {
  // No file here: the folders as they are now, and what the last run remembered.
  const std::vector<PanelRelease> now{{"a", "11 t1"}, {"b", "12 t2"}, {"c", "13 t3"}, {"d", "14 t4"}};
  const std::string remembered = "a\t11 t1\nb\t99 t0\nc\t13 t3\ngone\t15 t5\n";
  int lookups = 0;
  auto yes = [&] { return ++lookups, true; };
  auto no = [&] { return ++lookups, false; };

  LevelsRecordsSeen seen(now, remembered, true);
  // a: remembered at its version, so no lookup.
  CHECK(seen.has_record("a", yes));
  CHECK(lookups == 0);
  // b: redone since (another version): looked up once, then remembered at its new version.
  CHECK(seen.has_record("b", yes));
  CHECK(lookups == 1);
  CHECK(seen.has_record("b", no));
  CHECK(lookups == 1);
  // d: never seen, and the lookup finds no record: a no, not remembered (asked again, looked up again).
  CHECK_FALSE(seen.has_record("d", no));
  CHECK(lookups == 2);
  CHECK_FALSE(seen.has_record("d", no));
  CHECK(lookups == 3);
  // e: no committed folder at all: a no without a lookup.
  CHECK_FALSE(seen.has_record("e", yes));
  CHECK(lookups == 3);
  // What is remembered next: the folders seen at their current version, in id order; "gone"
  // (its folder removed) and b's old version are dropped.
  CHECK(seen.text() == "a\t11 t1\nb\t12 t2\nc\t13 t3\n");
  CHECK(seen.changed());

  // Nothing new to remember: the file need not be written.
  LevelsRecordsSeen same(now, "a\t11 t1\nb\t12 t2\n", true);
  CHECK(same.has_record("a", no));
  CHECK_FALSE(same.changed());

  // Not trusted (run --verify): every folder is looked into, even one remembered at its version.
  lookups = 0;
  LevelsRecordsSeen verify(now, remembered, false);
  CHECK_FALSE(verify.has_record("a", no));
  CHECK(verify.has_record("c", yes));
  CHECK(lookups == 2);
  CHECK(verify.text() == "c\t13 t3\n");

  // A file cut short mid-line matches no folder: that folder is looked up again.
  lookups = 0;
  LevelsRecordsSeen cut(now, "a\t11 t1\nb\t12 t", true);
  CHECK(cut.has_record("b", yes));
  CHECK(lookups == 1);
}

TEST_CASE("release history: a release's version is its folder's inode and its tables' finish time, from one listing") {
  const std::string out = temp_dir("history-versions");
  for (const char* id : {"2019", "2020", "2021", "2023"}) fs::create_directories(out + "/releases/" + id);
  fs::create_directories(out + "/releases/.2022.partial-77");  // a staging folder: never a release
  Manifest m;
  m.releases["2019"] = {"done", "", "t19", {}, "S", std::nullopt, {}};
  // Failed since, its last good tables kept: the version is that of the tables in the folder.
  m.releases["2020"] = {"failed", "read error", "t20b", {}, "S", GoodTables{"t20a", {}, "S"}, {}};
  // Failed with no good tables: not in the panel, whatever is in its folder.
  m.releases["2021"] = {"failed", "read error", "t21", {}, "S", std::nullopt, {}};
  m.releases["2022"] = {"done", "", "t22", {}, "S", std::nullopt, {}};  // its folder is gone
  const std::vector<PanelRelease> expected{
      {"2019", std::to_string(inode(out + "/releases/2019")) + " t19"},
      {"2020", std::to_string(inode(out + "/releases/2020")) + " t20a"}};
  auto folders = listed(out);
  CHECK(panel_releases(m, folders) == expected);
  // The folder replaced whole (as a commit does: made beside, renamed into place): a new version.
  fs::create_directories(out + "/releases/.2019.partial-1");
  fs::rename(out + "/releases/2019", out + "/releases/.2019.old-1");
  fs::rename(out + "/releases/.2019.partial-1", out + "/releases/2019");
  CHECK(panel_releases(m, listed(out))[0].version != expected[0].version);
  CHECK(panel_releases(m, listed(out))[0].version == std::to_string(inode(out + "/releases/2019")) + " t19");
  // A run's own commits keep its one listing up to date: what a fresh listing says, without one
  // (a redone folder's new number, a new release's folder in its place in id order).
  note_committed_folder(folders, "2019", inode(out + "/releases/2019"));
  fs::create_directories(out + "/releases/2022");
  note_committed_folder(folders, "2022", inode(out + "/releases/2022"));
  CHECK(folders == listed(out));
  CHECK(panel_releases(m, folders).size() == 3);  // 2022's folder is back
}

TEST_CASE("release history: the clean-up of temporaries does not list the folders it is told to leave alone") {
  const std::string out = temp_dir("history-temporaries");
  for (const char* sub : {"releases/2019/maps", "releases/2020", "panel"}) fs::create_directories(out + "/" + sub);
  const std::string host = temporary_host(), t = std::to_string(std::time(nullptr));
  const std::string dead = "." + host + "." + std::to_string(dead_pid()) + "." + t;
  const std::string in_kept = out + "/releases/2019/maps/a.png.tmp" + dead;
  const std::string in_swept = out + "/releases/2020/county.csv.tmp" + dead;
  const std::string in_panel = out + "/panel/county.csv.tmp" + dead;
  const std::string on_top = out + "/manifest.yaml.tmp" + dead;
  for (const auto& p : {in_kept, in_swept, in_panel, on_top}) write(p, "partial");
  // releases/2019 left alone (a committed release the run does not redo): 3 of the 4 dead
  // writers' files go, and the folder is not even listed (the names asked about say so); nor is
  // releases/ itself: the run's listing of it is given.
  std::vector<std::string> asked;
  auto all_but_2019 = [&](const std::string& name) { return asked.push_back(name), name != "2019"; };
  CHECK(remove_stale_temporaries(out, "releases", list_release_folder(out + "/releases"), all_but_2019) == 3);
  std::sort(asked.begin(), asked.end());  // in the listing's order, which the file system picks
  CHECK(asked == std::vector<std::string>{"2019", "2020"});
  CHECK(fs::exists(in_kept));
  for (const auto& p : {in_swept, in_panel, on_top}) CHECK_FALSE(fs::exists(p));
  // Looked into, its temporary is found too (the rule is the caller's, not the sweep's).
  CHECK(remove_stale_temporaries(out, "releases", list_release_folder(out + "/releases"),
                                 [](const std::string&) { return true; }) == 1);
  CHECK_FALSE(fs::exists(in_kept));
  // A temporary at the top of releases/ (the seen cache's, say) is always swept.
  const std::string at_top = out + "/releases/.levels.v1.cbor.seen.tmp" + dead;
  write(at_top, "partial");
  CHECK(remove_stale_temporaries(out, "releases", list_release_folder(out + "/releases"),
                                 [](const std::string&) { return false; }) == 1);
  CHECK_FALSE(fs::exists(at_top));
}
