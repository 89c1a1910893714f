// Messages, warnings and progress on stderr (one line each).
#include "pipeline/io/diagnostics.hpp"

#include <unistd.h>

#include <mutex>
#include <utility>

namespace nl {

namespace {
bool g_quiet = false;
bool g_silent = false;
bool g_timing = false;
std::mutex g_progress_mutex;
std::mutex g_sink_mutex;  // messages come from worker threads too: one line at a time

void write_to_stderr(Severity severity, const std::string& message) {
  switch (severity) {
    case Severity::info: std::fprintf(stderr, "nightlights: %s\n", message.c_str()); break;
    case Severity::warning: std::fprintf(stderr, "nightlights: warning: %s\n", message.c_str()); break;
    case Severity::error: std::fprintf(stderr, "nightlights: error: %s\n", message.c_str()); break;
    case Severity::timing: std::fprintf(stderr, "timing: %s\n", message.c_str()); break;
  }
}

DiagnosticsSink g_sink = write_to_stderr;

void emit(Severity severity, const std::string& message) {
  std::lock_guard lock(g_sink_mutex);
  g_sink(severity, message);
}
}  // namespace

ScopedDiagnosticsSink::ScopedDiagnosticsSink(DiagnosticsSink sink) {
  std::lock_guard lock(g_sink_mutex);
  previous_ = std::exchange(g_sink, std::move(sink));
}

ScopedDiagnosticsSink::~ScopedDiagnosticsSink() {
  std::lock_guard lock(g_sink_mutex);
  g_sink = std::move(previous_);
}

void set_quiet(bool quiet) { g_quiet = quiet || g_silent; }
void set_silent(bool silent) { g_silent = g_quiet = silent; }
bool is_quiet() { return g_quiet; }

void log_info(const std::string& message) {
  if (!g_quiet) emit(Severity::info, message);
}

void log_warning(const std::string& message) {
  if (!g_silent) emit(Severity::warning, message);
}

void log_error(const std::string& message) {
  if (!g_silent) emit(Severity::error, message);
}

void set_timing(bool timing) { g_timing = timing; }

void log_timing(const std::string& stage, double seconds) {
  if (!g_timing) return;
  char seconds_text[32];
  std::snprintf(seconds_text, sizeof seconds_text, "%.3f s", seconds);
  emit(Severity::timing, stage + " " + seconds_text);
}

Progress::Progress(bool enabled) : enabled_(enabled && !g_quiet && isatty(STDERR_FILENO)) {}

void Progress::update(double fraction) {
  if (!enabled_) return;
  std::lock_guard lock(g_progress_mutex);
  const int step = static_cast<int>(fraction * 40.0 + 1e-9);  // 2.5 % steps as GDAL prints
  while (printed_ < step && printed_ < 40) {
    ++printed_;
    if (printed_ % 4 == 0) std::fprintf(stderr, "%d", printed_ / 4 * 10);
    else std::fputc('.', stderr);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_) return;
  update(1.0);
  std::fprintf(stderr, " - done.\n");
}

}  // namespace nl
