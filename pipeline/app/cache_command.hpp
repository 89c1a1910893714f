// `nightlights cache list|clear`: what the coverage index cache holds, and emptying it.
#pragma once
#include <string>

namespace nl {

// Prints the entries (least recently used first) or removes them; `directory` is the cache
// folder. Returns the exit code.
int run_cache_command(const std::string& action, const std::string& directory);

}  // namespace nl
