// Small pieces of GDAL VRT text shared by the tile mosaics (see vrt_text.hpp).
#include "pipeline/io/vrt_text.hpp"

#include <cpl_vsi.h>

#include <cstdio>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string exact_number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void write_vsimem(const std::string& path, const std::string& text) {
  VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
  if (!f) throw UserError(path + ": cannot create the in-memory mosaic");
  VSIFWriteL(text.data(), 1, text.size(), f);
  VSIFCloseL(f);
}

}  // namespace nl
