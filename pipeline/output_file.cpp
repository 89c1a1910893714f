#include "pipeline/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/diagnostics.hpp"

namespace nl {

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)) {
  temp_path_ = path_ + ".tmp." + std::to_string(getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_)
    throw UserError(path_ + ": cannot write output (" + std::strerror(errno) +
                    ") — check that the directory exists and is writable");
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
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw UserError(path + ": cannot create directory (" + ec.message() + ")");
}

}  // namespace nl
