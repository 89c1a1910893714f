// The `nightlights` command line: parses arguments and dispatches to the commands.
#pragma once

namespace nl {
int nightlights_main(int argc, char** argv);
}
