// Atomic file writes, CSV helpers, number formatting and directories.
#include "pipeline/io/output_file.hpp"

#include <cstdio>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/temporary_files.hpp"

namespace nl {

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)) {
  temp_path_ = temporary_path(path_);
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_)
    throw UserError(path_ + ": cannot write output (" + std::strerror(errno) +
                    ") — check that the directory exists and is writable");
  constexpr size_t kBuffer = 64 * 1024;
  buffer_.reset(new char[kBuffer]);  // not zeroed: stdio writes before it reads
  std::setvbuf(file_, buffer_.get(), _IOFBF, kBuffer);
}

AtomicOutput::~AtomicOutput() {
  if (file_) {
    std::fclose(file_);
    std::remove(temp_path_.c_str());
  }
}

void AtomicOutput::write(std::string_view text) {
  if (!file_) throw UserError(path_ + ": write after commit");
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) failed_ = true;
}

void AtomicOutput::commit() {
  bool ok = !failed_ && std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  const int err = errno;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) {
    std::remove(temp_path_.c_str());
    throw UserError(path_ + ": writing failed (" + std::string(std::strerror(err ? err : EIO)) +
                    ") — is the disk full? nothing was written");
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    std::remove(temp_path_.c_str());
    throw UserError(path_ + ": cannot move the finished file into place (" + std::strerror(e) + ")");
  }
}

void write_file_atomically(const std::string& path, std::string_view content) {
  AtomicOutput out(path);
  out.write(content);
  out.commit();
}

void keep_for_next_run(const std::string& path, std::string_view content, const std::string& what) {
  try {
    make_directories(std::filesystem::path(path).parent_path().string());
    write_file_atomically(path, content);
  } catch (const std::exception& e) {
    log_warning(path + ": " + what + " could not be kept for the next run (" + e.what() + ")");
  }
}

std::string format_number(double v) {
  if (std::isnan(v)) return "";
  if (v == 0) return "0";  // also folds -0
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

CsvTable read_csv_table(const std::string& path, const std::string& what, const std::vector<std::string>& columns) {
  const auto text = read_whole_file(path);
  if (!text) throw UserError(path + ": " + what + " not found or unreadable");
  return parse_csv_table(*text, path, what, columns);
}

CsvTable parse_csv_table(const std::string& text, const std::string& path, const std::string& what,
                         const std::vector<std::string>& columns) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = split_csv_line(line);
  std::vector<size_t> index;
  for (const auto& name : columns) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      std::string list;
      for (size_t i = 0; i < columns.size(); ++i)
        list += (i == 0 ? "" : i + 1 == columns.size() ? " and " : ", ") + columns[i];
      throw UserError(path + ":1: " + what + " needs the columns " + list + " (found: " + line + ")");
    }
    index.push_back(static_cast<size_t>(it - header.begin()));
  }
  CsvTable table;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto cells = split_csv_line(line);
    if (cells.size() < header.size())
      throw UserError(path + ":" + std::to_string(number) + ": fewer cells than the header has columns");
    CsvTable::Row row{number, {}};
    for (size_t i : index) row.cells.push_back(cells[i]);
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::optional<std::string> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // Sized once from fstat (one byte more, to see the end without growing), read in as few calls
  // as the kernel allows: a stream into a stringstream read a long history's 367 KB manifest in
  // 48 calls, through buffers doubled five times and a last copy, ~1.5 MB of fresh memory.
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  std::string text(regular ? static_cast<size_t>(st.st_size) + 1 : 64 * 1024, '\0');
  size_t have = 0;
  for (;;) {
    if (have == text.size()) text.resize(2 * text.size());  // grew since fstat, or not a file
    const ssize_t n = ::read(fd, text.data() + have, text.size() - have);
    if (n > 0) have += static_cast<size_t>(n);
    else if (n == 0) break;
    else if (errno != EINTR) {
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  text.resize(have);
  return text;
}

void make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw UserError(path + ": cannot create directory (" + ec.message() + ")");
}

std::string format_printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace nl
