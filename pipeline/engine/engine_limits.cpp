// The engine's process-wide limits (see engine_limits.hpp).
#include "pipeline/engine/engine_limits.hpp"

namespace nl {

namespace {
EngineLimits g_limits;  // set before any work starts; read-only while threads run
}

const EngineLimits& engine_limits() { return g_limits; }
void set_engine_limits(const EngineLimits& limits) { g_limits = limits; }

}  // namespace nl
