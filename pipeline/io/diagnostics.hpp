// User-facing errors and messages: one line each on stderr, and GDAL-style progress.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace nl {

// An error the user can act on: the message names the file, the problem and what to do.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void set_quiet(bool quiet);
// Nothing at all, warnings included (MPI ranks other than 0: their messages would repeat rank 0's).
void set_silent(bool silent);
bool is_quiet();
void log_info(const std::string& message);   // suppressed by --quiet
void log_warning(const std::string& message);  // always shown

// "0...10...20...30...40...50...60...70...80...90...100 - done." on stderr, only when stderr
// is a terminal and not quiet.
class Progress {
 public:
  explicit Progress(bool enabled);
  void update(double fraction);  // thread-safe, monotone
  void finish();

 private:
  bool enabled_;
  int printed_ = -1;
};

}  // namespace nl
