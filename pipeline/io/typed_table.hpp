// A table whose columns carry their types (text, integer, real): built once by the analysis,
// then written as CSV and into GeoPackages without a type ever being guessed from text.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nl {

struct TypedColumn {
  enum class Kind { text, integer, real };
  std::string name;
  Kind kind = Kind::text;
  std::vector<std::string> text;  // Kind::text
  std::vector<int64_t> integer;   // Kind::integer
  std::vector<double> real;       // Kind::real; NaN is an empty cell
  size_t size() const;
};

struct TypedTable {
  std::vector<TypedColumn> columns;
  TypedColumn& add(std::string name, TypedColumn::Kind kind);
  const TypedColumn* find(const std::string& name) const;  // null when absent
  size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
};

// Header and rows as CSV: text quoted where needed (csv_field), reals in shortest round-trip
// form (format_number, so reading one back gives the same double), NaN as an empty cell.
std::string typed_table_csv(const TypedTable& table);

}  // namespace nl
