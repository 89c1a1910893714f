// GDAL's process-wide options for batch jobs on shared file systems.
#include "pipeline/io/gdal_env.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>

#include <mutex>

namespace nl {

void configure_gdal(int cache_megabytes) {
  static std::once_flag once;
  std::call_once(once, [&] {
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    CPLSetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR");
    CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
    CPLSetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", nullptr);
    GDALSetCacheMax64(static_cast<GIntBig>(cache_megabytes) * 1024 * 1024);
    // Errors are turned into our own one-line messages; GDAL's own printing would duplicate them.
    CPLSetErrorHandler(CPLQuietErrorHandler);
    GDALAllRegister();
  });
}

std::string last_gdal_error() {
  const char* msg = CPLGetLastErrorMsg();
  return msg ? std::string(msg) : std::string();
}

void clear_gdal_error() { CPLErrorReset(); }

}  // namespace nl
