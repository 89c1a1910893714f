// The centre of light over the panel: for each group of the gap table (and "all"), where its
// light-weighted centre lies in each release and how far (km on WGS84) and in which direction
// it moved since the previous and since the first release, and its mean speed in km per year.
#pragma once
#include <string>

namespace nl {

// From the stacked gap tables (panel/gaps.csv text, with light_lon and light_lat columns):
// panel/centre_of_light.csv, or "" when the table has no centre columns. A release's time is
// read from its id (YYYY, YYYY-MM or YYYY-MM-DD: the middle of that year or month or day).
std::string centre_of_light_csv(const std::string& stacked_gaps_csv);

// Whether a gap table with this header line has the centre's columns (light_lon, light_lat):
// without them centre_of_light_csv gives "", so the caller need not read the whole table.
bool has_centre_of_light_columns(const std::string& header_line);

}  // namespace nl
