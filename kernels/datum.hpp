// Conversion between WGS84 and GCJ-02 ("Mars coordinates", the legally mandated obfuscated
// lon/lat of Chinese web maps such as AMap/Gaode). Chinese county boundaries are often published
// in GCJ-02, which sits 100–700 m off WGS84 — several night-lights pixels — so boundaries must be
// brought back to WGS84 before they are rasterised against the imagery.
#pragma once
#include <span>
#include <string>

namespace nl {

// The forward GCJ-02 formula as published in the open-source reimplementations (eviltransform,
// coordtransform): Krasovsky 1940 ellipsoid and the transformLat/transformLon series.
//
// Points outside China's rough bounding box (lon 72.004–137.8347, lat 0.8293–55.8271, inclusive)
// are returned unchanged, because web maps apply no offset there. The box is far larger than
// China, so the jump from "offset" to "no offset" at its edge never crosses Chinese territory.
void wgs84_to_gcj02(double lon, double lat, double& out_lon, double& out_lat);

// Exact inverse of wgs84_to_gcj02 by fixed-point iteration: forward(inverse(p)) reproduces p to
// ~1e-12° (≤ 1e-9° guaranteed) instead of the ~1e-5° (a few metres) of the common one-step
// approximation. Points outside the bounding box are returned unchanged, matching the forward
// mapping.
void gcj02_to_wgs84(double lon, double lat, double& out_lon, double& out_lat);

// The same on arrays, in place, up to `max_lanes` points at a time (8 with AVX-512, 4 with AVX2,
// as the processor has them; else 2 with SSE2): each point's result is bit-identical to the
// one-point call's (the same IEEE operations in the same order, lane by lane). A country's 4 M
// county vertices are the largest single cost of a cold GCJ-02 run. `max_lanes` lower is for
// tests of the narrower paths on any processor.
void gcj02_to_wgs84(std::span<double> lon, std::span<double> lat, int max_lanes = 8);

enum class Datum { wgs84, gcj02 };

// Accepts exactly "wgs84" or "gcj02"; anything else throws std::invalid_argument naming the value
// and the accepted spellings, so a typo in a config cannot silently skip the correction.
Datum parse_datum(const std::string& name);
const char* datum_name(Datum datum);

}  // namespace nl
