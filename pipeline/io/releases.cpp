#include "pipeline/io/releases.hpp"

#include <glob.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace fs = std::filesystem;

namespace {

// One element of a release-name pattern: a literal character, `?`, `*`, or a placeholder of
// `digits` digits.
struct PatternToken {
  enum Kind { literal, any_char, any_run, digits } kind;
  char ch = 0;
  int count = 0;
  std::string key;
};

std::vector<PatternToken> tokenize_pattern(const std::string& pattern) {
  std::vector<PatternToken> tokens;
  std::vector<std::string> keys;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (ch == '{') {
      const size_t close = pattern.find('}', i);
      if (close == std::string::npos) throw std::invalid_argument("unclosed '{' in pattern '" + pattern + "'");
      const std::string key = pattern.substr(i + 1, close - i - 1);
      if (key != "year" && key != "month" && key != "day")
        throw std::invalid_argument("unknown placeholder {" + key + "} in pattern '" + pattern + "' (use {year}, {month}, {day})");
      if (std::find(keys.begin(), keys.end(), key) != keys.end())
        throw std::invalid_argument("placeholder {" + key + "} appears twice in pattern '" + pattern + "'");
      keys.push_back(key);
      tokens.push_back({PatternToken::digits, 0, key == "year" ? 4 : 2, key});
      i = close;
    } else if (ch == '*') {
      // `**` means what `*` means; merging them keeps the table below small.
      if (tokens.empty() || tokens.back().kind != PatternToken::any_run) tokens.push_back({PatternToken::any_run, 0, 0, {}});
    } else if (ch == '?') {
      tokens.push_back({PatternToken::any_char, 0, 0, {}});
    } else {
      tokens.push_back({PatternToken::literal, ch, 0, {}});
    }
  }
  return tokens;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::string> release_id_from_name(const std::string& name, const std::string& pattern,
                                                const std::string& id_format) {
  // A table of "tokens t… match name[j…]" instead of a backtracking regex: time and memory are
  // (tokens × name length), whatever the pattern (std::regex took minutes, and deep recursion,
  // on `**************` against a long name).
  const std::vector<PatternToken> tokens = tokenize_pattern(pattern);
  const size_t nt = tokens.size(), nn = name.size();
  std::vector<uint8_t> match((nt + 1) * (nn + 1), 0);
  auto at = [&](size_t t, size_t j) -> uint8_t& { return match[t * (nn + 1) + j]; };
  at(nt, nn) = 1;
  for (size_t t = nt; t-- > 0;) {
    const PatternToken& tok = tokens[t];
    for (size_t j = nn + 1; j-- > 0;) {
      bool ok = false;
      switch (tok.kind) {
        case PatternToken::literal:
          ok = j < nn && name[j] == tok.ch && at(t + 1, j + 1);
          break;
        case PatternToken::any_char:
          ok = j < nn && at(t + 1, j + 1);
          break;
        case PatternToken::any_run:
          ok = at(t + 1, j) || (j < nn && at(t, j + 1));
          break;
        case PatternToken::digits:
          ok = j + tok.count <= nn && at(t + 1, j + tok.count) &&
               std::all_of(name.begin() + j, name.begin() + j + tok.count, is_digit);
          break;
      }
      at(t, j) = ok;
    }
  }
  if (!at(0, 0)) return std::nullopt;
  // Read the placeholders off one match; a `*` takes as much as it can (a regex's greedy `.*`).
  std::map<std::string, std::string> values;
  size_t j = 0;
  for (size_t t = 0; t < nt; ++t) {
    const PatternToken& tok = tokens[t];
    if (tok.kind == PatternToken::any_run) {
      size_t k = nn;
      while (!at(t + 1, k)) --k;
      j = k;
    } else if (tok.kind == PatternToken::digits) {
      values[tok.key] = name.substr(j, tok.count);
      j += tok.count;
    } else {
      ++j;
    }
  }
  if (values.count("month")) {
    const int month = std::stoi(values["month"]);
    if (month < 1 || month > 12) return std::nullopt;
  }
  if (values.count("day")) {
    const int day = std::stoi(values["day"]);
    if (day < 1 || day > 31) return std::nullopt;
  }
  std::string format = id_format;
  if (format.empty()) {
    for (const char* k : {"year", "month", "day"})
      if (values.count(k)) format += std::string(format.empty() ? "" : "-") + "{" + k + "}";
  }
  std::string id;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '{') {
      id += format[i];
      continue;
    }
    const size_t close = format.find('}', i);
    if (close == std::string::npos) throw std::invalid_argument("unclosed '{' in id format '" + format + "'");
    const std::string key = format.substr(i + 1, close - i - 1);
    if (!values.count(key)) throw std::invalid_argument("id format uses {" + key + "}, which the pattern does not capture");
    id += values[key];
    i = close;
  }
  return id;
}

std::string quality_path_for(const std::string& release_path, const QualityConfig& q) {
  const fs::path p(release_path);
  if (!q.replace_from.empty()) {
    std::string name = p.filename().string();
    const size_t at = name.rfind(q.replace_from);
    if (at == std::string::npos) return "";
    name.replace(at, q.replace_from.size(), q.replace_to);
    return (p.parent_path() / name).string();
  }
  std::string out = q.template_name;
  auto substitute = [&](const std::string& key, const std::string& value) {
    for (size_t at; (at = out.find(key)) != std::string::npos;) out.replace(at, key.size(), value);
  };
  substitute("{stem}", p.stem().string());
  substitute("{name}", p.filename().string());
  substitute("{dir}", p.parent_path().string());
  if (fs::path(out).is_relative()) out = (p.parent_path() / out).string();
  return out;
}

std::vector<ReleaseFile> find_releases(const ReleasesConfig& config) {
  std::vector<std::string> paths;
  for (const auto& spec : config.files) {
    glob_t g{};
    const int rc = glob(spec.c_str(), 0, nullptr, &g);
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    if (rc == GLOB_NOMATCH && spec.find_first_of("*?[") == std::string::npos)
      throw UserError(spec + ": release file not found");
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<ReleaseFile> releases;
  std::map<std::string, std::string> seen;
  for (const auto& path : paths) {
    std::optional<std::string> id;
    try {
      id = release_id_from_name(fs::path(path).filename().string(), config.pattern, config.id_format);
    } catch (const std::invalid_argument& e) {
      throw UserError(std::string("releases.pattern: ") + e.what());
    }
    if (!id) continue;  // e.g. the quality rasters beside the releases
    if (auto [it, fresh] = seen.emplace(*id, path); !fresh)
      throw UserError("release " + *id + " matches two files: " + it->second + " and " + path +
                      " — make releases.pattern more specific");
    ReleaseFile r{*id, path, config.quality ? quality_path_for(path, *config.quality) : ""};
    if (config.quality && r.quality_path.empty())
      throw UserError(path + ": the quality rule (replace '" + config.quality->replace_from + "') does not apply to this name");
    releases.push_back(r);
  }
  std::sort(releases.begin(), releases.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return releases;
}

}  // namespace nl
