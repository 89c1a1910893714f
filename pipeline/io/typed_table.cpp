// Typed tables and their CSV form (see typed_table.hpp).
#include "pipeline/io/typed_table.hpp"

#include "pipeline/io/output_file.hpp"

namespace nl {

size_t TypedColumn::size() const {
  switch (kind) {
    case Kind::text: return text.size();
    case Kind::integer: return integer.size();
    case Kind::real: return real.size();
  }
  return 0;
}

TypedColumn& TypedTable::add(std::string name, TypedColumn::Kind kind) {
  TypedColumn& c = columns.emplace_back();
  c.name = std::move(name);
  c.kind = kind;
  return c;
}

const TypedColumn* TypedTable::find(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

std::string typed_table_csv(const TypedTable& table) {
  std::string out;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) out += ',';
    out += csv_field(table.columns[i].name);
  }
  out += '\n';
  for (size_t r = 0; r < table.rows(); ++r) {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (i) out += ',';
      const TypedColumn& c = table.columns[i];
      switch (c.kind) {
        case TypedColumn::Kind::text: out += csv_field(c.text[r]); break;
        case TypedColumn::Kind::integer: out += std::to_string(c.integer[r]); break;
        case TypedColumn::Kind::real: out += format_number(c.real[r]); break;
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace nl
