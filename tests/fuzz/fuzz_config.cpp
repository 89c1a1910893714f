// libFuzzer target: the run configuration parser, release-name patterns and level keys must
// answer every input with a value or one of our errors — never a crash, hang or UB.
// Input: four parts separated by a 0x00 byte: YAML text, "pattern\nfile name", "key\ncode",
// and CSV text read both as a population and as a GDP table.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "pipeline/io/config.hpp"
#include "pipeline/io/diagnostics.hpp"
#include "pipeline/analysis/levels.hpp"
#include "pipeline/io/releases.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string parts[4];
  size_t part = 0;
  for (char c : input) {
    if (c == '\0' && part < 3) ++part;
    else parts[part] += c;
  }
  nl::set_silent(true);
  try {
    nl::parse_run_config(parts[0], "fuzz.yaml", "/nonexistent", false);
  } catch (const nl::UserError&) {
  }
  const auto nl1 = parts[1].find('\n');
  try {
    nl::release_id_from_name(parts[1].substr(nl1 == std::string::npos ? parts[1].size() : nl1 + 1),
                             parts[1].substr(0, nl1), "");
  } catch (const std::invalid_argument&) {
  }
  // A level key on a unit: the same parser as the config's `key:`, then the rule.
  const auto nl2 = parts[2].find('\n');
  const std::string key = parts[2].substr(0, nl2), code = nl2 == std::string::npos ? "" : parts[2].substr(nl2 + 1);
  try {
    const std::string text = "releases: {files: x, pattern: \"{year}\", units: DN}\nzones: {z: {path: z, id_field: id}}\n"
                             "levels:\n  - {name: a, zones: z}\n  - {name: b, from: a, key: \"" +
                             key + "\"}\noutput: {directory: o}\n";
    const nl::RunConfig c = nl::parse_run_config(text, "fuzz-key.yaml", "/nonexistent", false);
    nl::level_key(c.levels[1], code, {"f"}, {code});
  } catch (const nl::UserError&) {
  }
  for (int table = 0; table < 2; ++table) {
    try {
      if (table == 0) nl::parse_population_table(parts[3], "fuzz.csv");
      else nl::parse_gdp_table(parts[3], "fuzz.csv");
    } catch (const nl::UserError&) {
    }
  }
  return 0;
}
