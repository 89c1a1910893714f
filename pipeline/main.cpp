// The nightlights executable: everything lives in the library; this only dispatches.
#include "pipeline/cli.hpp"

int main(int argc, char** argv) { return nl::nightlights_main(argc, argv); }
