// `nightlights report OUT`: redraws the charts over releases and OUT/report.html from a finished
// output folder alone (the tables, the maps the run drew, the config in provenance.json).
#pragma once
#include <string>

namespace nl {

// Returns the exit code; prints where the report is.
int run_report_command(const std::string& out);

}  // namespace nl
