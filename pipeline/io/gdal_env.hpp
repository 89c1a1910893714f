// Process-wide GDAL set-up with HPC manners: no .aux.xml beside inputs, no directory scans on
// open, a capped block cache, errors captured rather than printed.
#pragma once
#include <string>

namespace nl {

void configure_gdal(int cache_megabytes = 64);

// GDAL's last error message on this thread, or "" — for wrapping into our own messages.
std::string last_gdal_error();
void clear_gdal_error();

}  // namespace nl
