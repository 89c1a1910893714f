// What a release's maps need beyond its levels record, kept beside them
// (OUT/releases/<id>/maps/.inputs.cbor: the product's name, units, min_valid_fraction, the
// reference group, the Hu line's vertices and the population table), so that
// `nightlights report OUT` redraws every release's maps byte for byte from the output folder
// alone: the levels record (analysis/release_levels), these inputs and the geometry and borders
// the run kept in OUT/panel/.maps — never the rasters, the zone layers or the CSV text.
#pragma once
#include <map>
#include <string>

#include "pipeline/io/config.hpp"
#include "pipeline/pictures/release_maps.hpp"

namespace nl {

inline constexpr const char* kMapInputsFile = ".inputs.cbor";

// CBOR (doubles exact) of `in`'s scalars and Hu line and the population table's values.
std::string encode_map_inputs(const ReleaseMapInputs& in, const std::map<std::string, double>& population);

struct StoredMapInputs {
  ReleaseMapInputs in;  // levels and gap brightness left null: they come from the levels record
  std::map<std::string, double> population;
};
// Throws UserError naming `what` when the bytes are not map inputs of this version.
StoredMapInputs decode_map_inputs(const std::string& bytes, const std::string& what);

// Redraws the maps of every release under OUT whose maps folder has its inputs, from its levels
// record, with `config` (the run's, as output_config reads it). Returns how many releases.
int redraw_release_maps(const std::string& out, const RunConfig& config);

}  // namespace nl
