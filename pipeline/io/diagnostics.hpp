// User-facing errors and messages: one line each on stderr, and GDAL-style progress.
#pragma once
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

namespace nl {

// An error the user can act on: the message names the file, the problem and what to do.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The one progress callback type of every long library call (GDAL's GDALProgressFunc model):
// called with the fraction done (0…1), from any thread; returning false cancels the call,
// which then stops at its next check and throws Cancelled. An empty callback: no reports.
using ProgressCallback = std::function<bool(double fraction)>;

// A call stopped because its progress callback returned false.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled by the caller") {}
};

// Where messages go: a sink takes each message that passes the quiet/silent filters, whole
// (one call per line, serialised). The default writes "nightlights: …" lines to stderr; a
// program embedding the library, or a test, installs its own for the length of a call, as
// GDAL's CPLPushErrorHandler does.
enum class Severity { info, warning, error, timing };
using DiagnosticsSink = std::function<void(Severity, const std::string& message)>;
// Installs `sink` until destroyed, then restores the previous one (not thread-safe to nest
// across threads: install it around a library call, from the calling thread).
class ScopedDiagnosticsSink {
 public:
  explicit ScopedDiagnosticsSink(DiagnosticsSink sink);
  ~ScopedDiagnosticsSink();
  ScopedDiagnosticsSink(const ScopedDiagnosticsSink&) = delete;
  ScopedDiagnosticsSink& operator=(const ScopedDiagnosticsSink&) = delete;

 private:
  DiagnosticsSink previous_;
};

void set_quiet(bool quiet);
// Nothing at all, warnings included (MPI ranks other than 0: their messages would repeat rank 0's).
void set_silent(bool silent);
bool is_quiet();
void log_info(const std::string& message);   // suppressed by --quiet
void log_warning(const std::string& message);  // always shown
// A library call's own verdict on its failure (e.g. "3 release(s) failed; see …") when it returns
// a failure code instead of throwing; shown unless silent.
void log_error(const std::string& message);
// "timing: <stage> <seconds> s" on stderr, only after set_timing(true) (NIGHTLIGHTS_TIMING).
void set_timing(bool timing);
void log_timing(const std::string& stage, double seconds);

// "0...10...20...30...40...50...60...70...80...90...100 - done." on stderr, only when stderr
// is a terminal and not quiet. The commands wrap it in a ProgressCallback.
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
