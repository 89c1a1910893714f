// The one registry of statistics: each statistic is one descriptor (its name and parameter,
// what it needs from the accumulator, its value and when it is undefined). Names in configs and
// on the command line, CSV headers, the settings fingerprint, help texts and what the zonal loop
// must collect all come from this list; adding a statistic is one line in the .cpp and its test.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernels/accumulator.hpp"

namespace nl {

struct StatisticDescriptor {
  const char* name;          // as written in configs; `quantile` is written `quantile(0.9)`
  bool takes_parameter;      // a q in [0, 1] in parentheses
  bool in_default;           // part of the default `stats` list (today's thirteen)
  AccumulatorNeeds needs;    // optional accumulator parts it reads
  const char* meaning;       // one line for the README's table and `--help`
  // The value, or nothing where it is undefined (a mean of no valid cells, …).
  std::optional<double> (*value)(const ZoneAccumulator& a, double parameter);
};

std::span<const StatisticDescriptor> statistic_registry();

// One requested statistic: a registry entry and its parameter (0 when it takes none).
struct Statistic {
  size_t entry = 0;
  double parameter = 0;
  const StatisticDescriptor& descriptor() const { return statistic_registry()[entry]; }
  bool operator==(const Statistic&) const = default;
};

// "mean", "quantile(0.9)"; throws std::invalid_argument naming the known statistics.
Statistic parse_statistic(const std::string& name);
std::string statistic_name(const Statistic& s);  // its canonical spelling, also the CSV header
std::vector<Statistic> parse_statistics(const std::string& comma_separated);
const std::vector<Statistic>& default_statistics();
std::vector<std::string> statistic_names();  // every entry, `quantile(q)` with its q spelled out
AccumulatorNeeds accumulator_needs(std::span<const Statistic> stats);

std::optional<double> statistic_value(const ZoneAccumulator& a, const Statistic& s);

// The centre of geocentric sums (Σw·X, Σw·Y, Σw·Z) as geodetic (lon, lat) degrees on WGS84: the
// mean point projected to the surface along the ray from the Earth's centre.
std::pair<double, double> lon_lat_of_centre(double x, double y, double z);

}  // namespace nl
