// The run's report page, OUT/report.html: one self-contained HTML file (no network, no script)
// with the latest release's gap table and sentences, the inequality summary, the Hu line table,
// the latest release's maps, the charts over releases (or why one is not drawn) and links to
// every CSV. Pictures are referenced by relative paths inside OUT, so the folder moves whole.
#pragma once
#include <string>

#include "pipeline/io/config.hpp"

namespace nl {

// Redraws the panel charts (draw_panel_charts) and writes OUT/report.html, from the output
// folder alone: the tables on disk (numbers written round-trip) and the maps the run drew. The
// run calls it at its end; `nightlights report OUT` calls it on a finished folder.
void write_run_report(const std::string& out, const RunConfig& config);

// The configuration a run used, from OUT's latest release's provenance.json (the config's text
// and path as the run read them; lookup tables are not read). Throws UserError when OUT has no
// finished release.
RunConfig output_config(const std::string& out);

}  // namespace nl
