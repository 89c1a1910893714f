// Small pieces of GDAL VRT text shared by the tile mosaics (Black Marble, EOG): escaping paths
// into XML, writing numbers so they read back exactly, and putting the text in /vsimem/.
#pragma once
#include <string>

namespace nl {

std::string xml_escape(const std::string& s);
// %.17g: a double written this way reads back as the same double.
std::string exact_number_text(double v);
// Throws UserError when GDAL cannot create the in-memory file.
void write_vsimem(const std::string& path, const std::string& text);

}  // namespace nl
