// The gap table in words (see gap_sentences.hpp).
#include "pipeline/analysis/gap_sentences.hpp"

#include <cmath>

#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

// 2857 → "2,857", as the README's tables write counts.
std::string thousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

double brightness(const GapRow& r) { return r.acc.valid_area > 0 ? r.acc.sum_area / r.acc.valid_area : NAN; }

const GapRow* find_row(const GapTable& table, const std::string& group) {
  for (const auto& r : table.rows)
    if (r.group == group) return &r;
  return nullptr;
}

// "East is 14.5× as bright per km² as West; Central 6.0×; …; all four groups together 3.1×."
std::string brightness_sentence(const GapTable& table, const GapsConfig& config) {
  const GapRow* west = find_row(table, config.west);
  const double west_brightness = west ? brightness(*west) : NAN;
  if (!(west_brightness > 0)) return "";
  std::string out;
  for (const auto& g : config.groups) {
    const GapRow* r = find_row(table, g);
    if (g == config.west || !r || !(brightness(*r) >= 0)) continue;
    const std::string ratio = rounded_ratio(brightness(*r) / west_brightness) + "×";
    out += out.empty() ? g + " is " + ratio + " as bright per km² as " + config.west : "; " + g + " " + ratio;
  }
  if (out.empty()) return "";
  if (const GapRow* all = find_row(table, "all"); all && brightness(*all) >= 0)
    out += "; all " + std::to_string(config.groups.size()) + " groups together " +
           rounded_ratio(brightness(*all) / west_brightness) + "×";
  return out + ".";
}

// "East has 44.7 % of the light on 9.6 % of the area; Central 20.9 % on 10.9 %; …."
std::string share_sentence(const GapTable& table, const GapsConfig& config) {
  const GapRow* all = find_row(table, "all");
  if (!all || !(all->acc.sum_area > 0) || !(all->acc.valid_area > 0)) return "";
  std::string out;
  for (const auto& g : config.groups) {
    const GapRow* r = find_row(table, g);
    if (!r) continue;
    const std::string light = format_printf("%.1f %%", 100 * r->acc.sum_area / all->acc.sum_area);
    const std::string area = format_printf("%.1f %%", 100 * r->acc.valid_area / all->acc.valid_area);
    out += out.empty() ? g + " has " + light + " of the light on " + area + " of the area"
                       : "; " + g + " " + light + " on " + area;
  }
  return out.empty() ? "" : out + ".";
}

// "2,841 county units counted, 16 left out (valid_fraction below 0.5, or no valid cell)."
std::string units_sentence(const GapTable& table, const GapsConfig& config, double min_valid_fraction) {
  const GapRow* all = find_row(table, "all");
  if (!all) return "";
  std::string out = thousands(all->units_counted) + " " + config.level + " units counted, " +
                    thousands(all->units_left_out) + " left out (valid_fraction below " +
                    format_printf("%g", min_valid_fraction) + ", or no valid cell)";
  for (const auto& r : table.rows)
    if (!r.compared)
      out += "; " + r.group + " (" + thousands(r.units_counted) + " units) is outside the comparison";
  return out + ".";
}

}  // namespace

std::string rounded_ratio(double ratio) {
  if (std::isnan(ratio)) return "n/a";
  return format_printf(ratio >= 1 ? "%.1f" : "%.2g", ratio);
}

std::vector<std::string> gap_sentences(const GapTable& table, const GapsConfig& config, double min_valid_fraction) {
  std::vector<std::string> out;
  for (std::string s : {brightness_sentence(table, config), share_sentence(table, config),
                        units_sentence(table, config, min_valid_fraction)})
    if (!s.empty()) out.push_back(std::move(s));
  return out;
}

}  // namespace nl
