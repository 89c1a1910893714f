// Output files that are whole or absent: written to a temporary name beside the target and
// renamed into place on commit; removed if never committed (error, exception, signal).
#pragma once
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nl {

class AtomicOutput {
 public:
  // Opens the temporary file now, so an unwritable path fails before any work is done.
  explicit AtomicOutput(std::string path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  void write(std::string_view text);
  // Flushes, fsyncs and renames into place; throws UserError on any failure (disk full, …).
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_, temp_path_;
  // stdio's buffer, 64 KiB rather than the file system's 4 KiB block: a file written in many
  // small pieces (the manifest, entry by entry) goes out in 64 KiB system calls, not 4 KiB ones.
  std::unique_ptr<char[]> buffer_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

// Writes `content` to `path` atomically.
void write_file_atomically(const std::string& path, std::string_view content);

// Writes a file that only saves a later run time (work kept between runs), atomically, its folder
// made first. A failure is a warning ("PATH: WHAT could not be kept for the next run (why)"),
// never the run's failure: the next run does the work again.
void keep_for_next_run(const std::string& path, std::string_view content, const std::string& what);

// Shortest text that reads back as the same double ("" for NaN); integers print without ".0".
std::string format_number(double value);
// `value` through a printf format ("%.1f %%"), for rounded numbers in sentences and legends.
std::string format_printf(const char* format, double value);

// A CSV field, quoted when it holds a comma, quote or newline.
std::string csv_field(std::string_view text);

// Splits one CSV line as csv_field writes it (quotes only around fields with , " or newline).
std::vector<std::string> split_csv_line(const std::string& line);

// The whole file as bytes, or nothing when it cannot be opened or a read fails.
std::optional<std::string> read_whole_file(const std::string& path);

// An input table (GDP, population): the columns asked for, by name, in every data row.
struct CsvTable {
  struct Row {
    int line = 0;                     // 1-based line number in the file, for messages
    std::vector<std::string> cells;   // the asked-for columns, in the order asked
  };
  std::vector<Row> rows;
};
// Reads a CSV with a header row (a UTF-8 BOM, CRLF line ends and blank lines allowed; other
// columns ignored). Throws UserError "PATH: WHAT not found", "PATH:1: WHAT needs the columns …"
// or "PATH:N: fewer cells than the header has columns".
CsvTable read_csv_table(const std::string& path, const std::string& what, const std::vector<std::string>& columns);
// The same from text already read (`path` names it in messages).
CsvTable parse_csv_table(const std::string& text, const std::string& path, const std::string& what,
                         const std::vector<std::string>& columns);

// Creates a directory and its parents; throws UserError naming it on failure.
void make_directories(const std::string& path);

}  // namespace nl
