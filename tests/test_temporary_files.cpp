// Temporaries named by host, PID and time: parsing the names, and removing only those whose
// writer is certainly gone (dead on this host, or a day old on another host).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <map>

#include "pipeline/io/temporary_files.hpp"
#include "test_support.hpp"

using namespace nl::testsupport;

namespace {

void make_file(const std::string& path, time_t mtime) {
  write_text(path, "partial");
  const struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("temporary files: the name holds host, PID and time, and parses back") {
  const std::string t = nl::temporary_path("/out/gaps.csv");
  const std::string name = fs::path(t).filename().string();
  CHECK(name.rfind("gaps.csv.tmp." + nl::temporary_host() + "." + std::to_string(getpid()) + ".", 0) == 0);
  auto parsed = nl::parse_temporary_name(name);
  REQUIRE(parsed);
  CHECK(parsed->host == nl::temporary_host());
  CHECK(parsed->pid == getpid());
  // A dotted host name, a GeoPackage temporary and its SQLite journal.
  parsed = nl::parse_temporary_name(".hu_line_zones.new.gpkg.tmp.node-7.hpc.example.4242.1764370000.gpkg-journal");
  REQUIRE(parsed);
  CHECK(parsed->host == "node-7.hpc.example");
  CHECK(parsed->pid == 4242);
  CHECK(parsed->created == 1764370000);
  // The older name, without host or time.
  parsed = nl::parse_temporary_name("coverage-ab.nlcov.tmp.977");
  REQUIRE(parsed);
  CHECK(parsed->host == "");
  CHECK(parsed->pid == 977);
  CHECK_FALSE(nl::parse_temporary_name("gaps.csv"));
  CHECK_FALSE(nl::parse_temporary_name("notes.tmp.txt"));
  CHECK_FALSE(nl::parse_temporary_name("photo.jpg.tmp.3"));  // older form: only our kinds of file
}

// Jobs on several nodes share an output folder: a temporary is removed only when its writer is
// known dead (this host) or it has not changed for a day (another host, or an older name).
TEST_CASE("temporary files: only those of dead local processes and day-old foreign ones are removed") {
  const std::string dir = temp_dir("temporaries");
  fs::create_directories(dir + "/releases/2008");
  const time_t now = std::time(nullptr), two_days_ago = now - 48 * 3600, an_hour_ago = now - 3600;
  const std::string host = nl::temporary_host(), t = std::to_string(now);
  const std::string dead = std::to_string(dead_pid()), me = std::to_string(getpid());
  const std::map<std::string, bool> files = {  // name → removed?
      {"a.csv.tmp." + host + "." + dead + "." + t, true},                        // dead PID here
      {"releases/2008/county.csv.tmp." + host + "." + dead + "." + t, true},     // in a subfolder
      {"x.gpkg.tmp." + host + "." + dead + "." + t + ".gpkg-journal", true},     // a GeoPackage journal
      {"b.csv.tmp." + host + "." + me + "." + t, false},                         // live PID here
      {"reused.csv.tmp." + host + "." + me + ".1000000000", true},              // PID reused: named in 2001
      {"old-but-live.csv.tmp." + host + "." + me + "." + t, false},              // live PID, old mtime
      {"c.csv.tmp.node-9.hpc.example.12345." + t, false},                        // other host, recent
      {"d.csv.tmp.node-9.hpc.example.12345." + t, true},                         // other host, 2 days old
      {"coverage-e.nlcov.tmp.12345", true},                                      // older name, 2 days old
      {"coverage-f.nlcov.tmp.12345", false},                                     // older name, recent
      {"g.csv", false},                                                          // not a temporary
  };
  for (const auto& [name, removed] : files) {
    const bool old = name.rfind("d.", 0) == 0 || name.rfind("coverage-e", 0) == 0 || name.rfind("old-", 0) == 0;
    make_file(dir + "/" + name, old ? two_days_ago : an_hour_ago);
  }
  CHECK(nl::remove_stale_temporaries(dir, true) == 6);
  for (const auto& [name, removed] : files) {
    INFO(name);
    CHECK(fs::exists(dir + "/" + name) == !removed);
  }
  // Not recursive: a subfolder's dead temporary stays.
  const std::string nested = dir + "/releases/2008/more.csv.tmp." + host + "." + dead + "." + t;
  make_file(nested, now);
  CHECK(nl::remove_stale_temporaries(dir, false) == 0);
  CHECK(fs::exists(nested));
}
