// The settings fingerprint (see settings_fingerprint.hpp).
#include "pipeline/app/settings_fingerprint.hpp"

#include <filesystem>
#include <sstream>

#include "pipeline/app/dmsp_release.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

void releases_text(std::ostream& t, const RunConfig& c) {
  t << "band " << c.releases.band << " units " << c.releases.units << " assume_crs " << c.releases.assume_crs << "\n";
  if (c.releases.quality)
    t << "quality " << c.releases.quality->template_name << "|" << c.releases.quality->replace_from << "|"
      << c.releases.quality->replace_to << "|" << c.releases.quality->min_count << "\n";
  if (const auto& b = c.releases.black_marble; b.enabled) {
    t << "black-marble " << b.layer << "|" << b.quality << "|" << b.quality_layer << "|" << b.collection << "|"
      << b.fail_on_missing << "|keep";
    for (int k : b.keep) t << " " << k;
    t << "\n";
  }
  if (const auto& d = c.releases.dmsp; d.enabled) {
    // The rule, the conventions and the coefficients themselves: an edited table redoes the years.
    const auto& o = d.conventions;
    t << "dmsp " << combine_rule_name(d.combine) << "|" << d.intercalibration << "|" << o.zero_stays_zero << "|"
      << (o.no_observation ? format_number(*o.no_observation) : "none") << "|"
      << (o.clip_low ? format_number(*o.clip_low) : "none") << "|" << (o.clip_high ? format_number(*o.clip_high) : "none");
    if (const auto table = dmsp_table(c))
      for (const auto& [s, row] : table->rows)
        t << " " << s.id() << ":" << format_number(row.coefficients.c0) << "," << format_number(row.coefficients.c1)
          << "," << format_number(row.coefficients.c2);
    t << "\n";
  }
  const auto& p = c.preprocess;
  t << "preprocess " << (c.nodata_override ? format_number(*p.nodata) : "band") << " " << p.scale << " " << p.offset
    << " " << static_cast<int>(p.negatives) << " " << (p.floor ? format_number(*p.floor) : "-") << " "
    << (p.cap ? format_number(*p.cap) : "-") << "\n";
}

void zones_and_levels_text(std::ostream& t, const RunConfig& c) {
  for (const auto& z : c.zones) {
    t << "zones " << z.name << "|" << z.path << "|" << z.layer << "|" << z.id_field << "|" << datum_name(z.datum) << "|"
      << z.assume_crs;
    for (const auto& f : z.fields) t << "|" << f;
    t << "\n";
  }
  for (const auto& l : c.levels) {
    t << "level " << l.name << "|" << l.zones << "|" << l.from << "|" << l.key_field << "|" << l.prefix << "|"
      << l.suffix << "|" << l.unmatched;
    for (const auto& [k, v] : l.lookup) t << "|" << k << "=" << v;
    t << "\n";
  }
  if (!c.population.table.empty()) {
    t << "population " << c.population.level;
    for (const auto& [code, value] : c.population.by_code) t << "|" << code << "=" << value;
    t << "\n";
  }
}

void tables_text(std::ostream& t, const RunConfig& c) {
  t << "stats";
  for (Statistic s : c.stats) t << " " << statistic_name(s);
  t << "\ncoverage " << coverage_mode_name(c.coverage) << " lit " << c.lit_threshold << " min_valid "
    << c.min_valid_fraction << "\ngaps " << c.gaps.level << "|" << c.gaps.region_level << "|" << c.gaps.reference
    << "|" << c.gaps.west;
  for (const auto& g : c.gaps.groups) t << "|" << g;
  t << "\nbom " << c.output.bom << "\n";
  if (c.hu_line.enabled) {
    t << "hu_line " << c.hu_line.shape << "|" << c.hu_line.country_path << "|" << c.hu_line.country_layer << "|"
      << datum_name(c.hu_line.country_datum) << "|" << c.hu_line.level << "\n"
      << read_whole_file(c.hu_line.definition).value_or("") << "\n";
  }
  if (c.inequality.enabled) {
    t << "inequality";
    for (const auto& l : c.inequality.levels) t << " " << l;
    for (const auto& g : c.inequality.groupings) t << " " << g;
    t << "\n";
  }
}

}  // namespace

std::string settings_text(const RunConfig& config) {
  std::ostringstream t;
  t.precision(17);
  releases_text(t, config);
  zones_and_levels_text(t, config);
  tables_text(t, config);
  return t.str();
}

std::string settings_fingerprint(const RunConfig& config, Manifest& manifest, bool verify) {
  std::string text = settings_text(config);
  std::vector<FileStamp> zone_stamps;
  for (const auto& z : config.zones) {
    if (!fs::exists(z.path)) continue;
    FileStamp now = stamp_file(z.path, false);
    for (const auto& old : manifest.zone_inputs)
      if (!verify && old.path == now.path && old.same_size_and_time(now)) now.sha256 = old.sha256;
    if (now.sha256.empty()) now.sha256 = sha256_file(now.path);
    text += "zone content " + now.path + " " + now.sha256 + "\n";
    zone_stamps.push_back(now);
  }
  manifest.zone_inputs = zone_stamps;
  return sha256_text(text);
}

std::string zone_sha256(const Manifest& manifest, const std::string& path) {
  for (const auto& z : manifest.zone_inputs)
    if (z.path == path) return z.sha256;
  return "";
}

}  // namespace nl
