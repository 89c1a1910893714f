// Temporaries named by host, PID and time, and the clean-up of those whose writer is gone.
#include "pipeline/io/temporary_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <vector>

#include "pipeline/io/directory_entries.hpp"

namespace nl {

namespace fs = std::filesystem;

std::string temporary_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "unknown-host";
  std::string host(buf);
  // A host name is letters, digits, '-' and '.'; anything else would make the name ambiguous.
  for (char& c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) c = '_';
  return host;
}

std::string temporary_path(const std::string& target, const std::string& suffix) {
  static const std::string host = temporary_host();
  return target + ".tmp." + host + "." + std::to_string(getpid()) + "." + std::to_string(std::time(nullptr)) + suffix;
}

TemporaryFileGuard::~TemporaryFileGuard() {
  for (const char* companion : {"", "-journal", "-wal", "-shm"}) std::remove((path_ + companion).c_str());
}

std::optional<TemporaryName> parse_temporary_name(const std::string& name) {
  // The host may hold dots: it is what lies between ".tmp." and the last two numbers.
  static const std::regex current(R"(^.*?\.tmp\.(.+)\.([0-9]{1,18})\.([0-9]{1,18})(\.gpkg)?(-journal|-wal|-shm)?$)");
  static const std::regex older(R"(^.*?\.(csv|yaml|json|nlcov|gpkg)\.tmp\.([0-9]{1,18})(\.gpkg)?(-journal|-wal|-shm)?$)");
  std::smatch m;
  if (std::regex_match(name, m, older)) return TemporaryName{"", std::stoll(m[2].str()), 0};
  if (std::regex_match(name, m, current))
    return TemporaryName{m[1].str(), std::stoll(m[2].str()), std::stoll(m[3].str())};
  return std::nullopt;
}

namespace {

bool process_is_dead(int64_t pid) {
  if (pid <= 0 || pid > INT32_MAX) return false;  // not a PID we could have written: leave it to the age rule
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;  // EPERM: alive, another user's
}

// When a process started (Unix seconds), from /proc/PID/stat and the boot time; 0 if unknown.
int64_t process_start_time(int64_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat_file, text);
  const auto name_end = text.rfind(')');  // the command name may hold spaces and parentheses
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(text.substr(name_end + 1));
  std::string field;
  for (int i = 3; i <= 21; ++i) fields >> field;  // state … itrealvalue
  long long ticks = 0;
  if (!(fields >> ticks)) return 0;  // field 22: start time, clock ticks after boot
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);)
    if (line.rfind("btime ", 0) == 0) return std::stoll(line.substr(6)) + ticks / ::sysconf(_SC_CLK_TCK);
  return 0;
}

bool is_stale(const fs::path& path, const TemporaryName& t, const std::string& this_host, int64_t max_age) {
  if (t.host == this_host) {
    if (process_is_dead(t.pid)) return true;
    // Alive, but started after the temporary was named (2 s for rounding): another process
    // now has the dead writer's PID.
    const int64_t started = process_start_time(t.pid);
    return started > 0 && t.created > 0 && t.created + 2 < started;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  return static_cast<int64_t>(std::time(nullptr)) - static_cast<int64_t>(st.st_mtime) > max_age;
}

}  // namespace

namespace {

// One regular file: removed when it is a temporary no live writer can still be writing.
bool remove_if_stale(const std::string& path, const std::string& name, const std::string& host, int64_t max_age) {
  // Every temporary's name holds ".tmp.": the other files (thousands, in a long history's
  // release folders) skip the regular expressions.
  if (name.find(".tmp.") == std::string::npos) return false;
  const auto t = parse_temporary_name(name);
  std::error_code ignored;
  return t && is_stale(path, *t, host, max_age) && fs::remove(path, ignored);
}

// The files of `dir`, and the subfolders `descend` names (all of theirs below them). A folder
// that cannot be listed has nothing we could remove anyway.
using Descend = std::function<bool(const std::string& name)>;
size_t sweep(const std::string& dir, const Descend& descend, const std::string& host, int64_t max_age);

// The same over `entries`, the listing of `dir` that the caller already has.
size_t sweep_listed(const std::string& dir, const std::vector<DirectoryEntry>& entries, const Descend& descend,
                    const std::string& host, int64_t max_age) {
  static const Descend everything = [](const std::string&) { return true; };
  size_t removed = 0;
  for (const DirectoryEntry& e : entries) {
    if (e.kind == DirectoryEntry::file) removed += remove_if_stale(dir + "/" + e.name, e.name, host, max_age);
    else if (e.kind == DirectoryEntry::directory && descend(e.name))
      removed += sweep(dir + "/" + e.name, everything, host, max_age);
  }
  return removed;
}

size_t sweep(const std::string& dir, const Descend& descend, const std::string& host, int64_t max_age) {
  return sweep_listed(dir, directory_entries(dir).value_or(std::vector<DirectoryEntry>{}), descend, host, max_age);
}

}  // namespace

size_t remove_stale_temporaries(const std::string& dir, bool recursive, int64_t max_age_seconds) {
  return sweep(dir, [recursive](const std::string&) { return recursive; }, temporary_host(), max_age_seconds);
}

size_t remove_stale_temporaries(const std::string& dir, const std::string& sub,
                                const std::vector<DirectoryEntry>& sub_entries,
                                const std::function<bool(const std::string& name)>& look_into,
                                int64_t max_age_seconds) {
  const std::string host = temporary_host();
  return sweep(dir, [&sub](const std::string& name) { return name != sub; }, host, max_age_seconds) +
         sweep_listed(dir + "/" + sub, sub_entries, look_into, host, max_age_seconds);
}

}  // namespace nl
