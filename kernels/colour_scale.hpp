// Colour scales for the maps: a light ramp (magma-like, dark to bright) on log class breaks for
// brightness, a diverging ramp centred on 0 for gaps, and the class of a value. Pure math: the
// maps (pipeline/map_*) and the tests share it, so a legend and a pixel agree by construction.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nl {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

// A ramp through a few control colours, linear in sRGB between them; t in [0, 1].
Rgb ramp_colour(const std::vector<Rgb>& control, double t);
const std::vector<Rgb>& light_ramp();      // magma-like: near black, purple, orange, pale yellow
const std::vector<Rgb>& diverging_ramp();  // blue – near white – red (ColorBrewer RdBu, colour-blind safe)

// Classes of a value: class i holds breaks[i-1] <= v < breaks[i] (class 0 below breaks[0], the
// last class at or above breaks.back()); classes = breaks.size() + 1.
struct ClassScale {
  std::vector<double> breaks;
  std::vector<Rgb> colours;  // one per class
  int class_of(double v) const;
};

// Rounds to two significant digits, so legend labels are short and exact.
double round_to_two_digits(double v);

// Log-spaced breaks between the 2nd and 98th percentile of the positive values (outliers do not
// stretch the scale), `classes` classes coloured from the light ramp's darker-but-visible end to
// its brightest. Needs at least one positive value; else one class.
ClassScale log_light_scale(std::vector<double> positive_values, int classes = 7);

// Breaks on each side of 0 at quantiles of that side's values (rounded), coloured from the
// diverging ramp; 0 sits on a break, so the two sides never share a class.
ClassScale diverging_scale(std::vector<double> values, int classes_per_side = 4);

// Fixed breaks on [0, 1] for shares (lit share): 1, 5, 10, 25, 50, 75, 90, 99 %; both ends get
// fine classes, since with a low lit threshold most eastern units are lit almost everywhere.
ClassScale share_scale();

// A short label for a break: 0.012, 1.2, 12, 1200, 1.2e+05 style without trailing zeros.
std::string break_label(double v);

}  // namespace nl
