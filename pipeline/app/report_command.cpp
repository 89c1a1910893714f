// `nightlights report OUT` (see report_command.hpp): a thin wrapper over write_run_report.
#include "pipeline/app/report_command.hpp"

#include <cstdio>
#include <filesystem>

#include "pipeline/io/diagnostics.hpp"
#ifdef NIGHTLIGHTS_WITH_CAIRO
#include "pipeline/pictures/run_report.hpp"
#include "pipeline/pictures/stored_maps.hpp"
#endif

namespace nl {

int run_report_command(const std::string& out) {
#ifdef NIGHTLIGHTS_WITH_CAIRO
  const RunConfig config = output_config(out);
  const int releases = redraw_release_maps(out, config);
  if (releases) log_info("report: the maps of " + std::to_string(releases) + " release(s) redrawn");
  write_run_report(out, config);
  log_info("report: " + std::filesystem::absolute(out + "/report.html").lexically_normal().string());
  return 0;
#else
  throw UserError("this build draws no pictures (cairo was not found when it was built; install libcairo2-dev)");
  (void)out;
#endif
}

}  // namespace nl
