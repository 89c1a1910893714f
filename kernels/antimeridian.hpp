// Longitudes across the ±180° seam: rings written across it (170 → −170), zones in 0…360
// against grids in −180…180 and the reverse. Pure functions over longitude arrays (degrees).
#pragma once
#include <span>
#include <vector>

namespace nl {

// Rewrites a ring's longitudes in place so that no edge (the closing one included) jumps by
// more than 180°: a ring written 170 → −170 means the 20° across the seam, 170 → 190. A ring
// that winds around a pole (its unwrapped edges add up to ±360°, Antarctica drawn to ±180 and
// down the pole) is left as written, since there the long edge is the ring's own, and so is a
// ring with a value beyond ±540° (not a longitude). Returns whether anything changed.
bool unwrap_ring_longitudes(std::span<double> lon);

// Moves a ring by a whole number of turns so that its first longitude is within 180° of
// `reference` (a hole follows its unwrapped exterior).
void shift_near(std::span<double> lon, double reference);

// The whole turns k (ascending) for which a polygon spanning [west, east] moved by k·360°
// overlaps a grid spanning [grid_west, grid_east]; {0} when none does, so a zone off the grid
// stays where it was (and stays empty), and {0} for values beyond ±1080° (not longitudes).
std::vector<int> turns_onto_grid(double west, double east, double grid_west, double grid_east);

}  // namespace nl
