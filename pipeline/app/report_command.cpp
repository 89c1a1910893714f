// `nightlights report OUT` (see report_command.hpp): a thin wrapper over write_run_report.
#include "pipeline/app/report_command.hpp"

#include <cstdio>
#include <filesystem>

#include "pipeline/io/diagnostics.hpp"
#ifdef NIGHTLIGHTS_WITH_CAIRO
#include "pipeline/pictures/run_report.hpp"
#endif

namespace nl {

int run_report_command(const std::string& out) {
#ifdef NIGHTLIGHTS_WITH_CAIRO
  write_run_report(out, output_config(out));
  log_info("report: " + std::filesystem::absolute(out + "/report.html").lexically_normal().string());
  return 0;
#else
  throw UserError("this build draws no pictures (cairo was not found when it was built; install libcairo2-dev)");
  (void)out;
#endif
}

}  // namespace nl
