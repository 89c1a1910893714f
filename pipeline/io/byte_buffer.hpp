// Bounds-checked binary encoding for the files the pipeline keeps for its own later runs (the
// coverage cache, the maps' stored geometry and masks, the GeoPackages' derived units): one
// writer and one reader instead of a hand-written pair in each. Values are stored in host byte
// order, as they always were: these files are caches of this machine's runs, rebuilt whenever
// they do not read back, so a reader must fail cleanly (never read past the end, never trust a
// stored length) rather than be portable.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace nl {

// Appends values and length-prefixed strings to `out`.
class ByteWriter {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>, "only plain values have a byte image");
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  // A uint64 byte count, then the bytes: what ByteReader::get_string reads.
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    out.append(s);
  }
  // Bytes with no length in front (a magic header): read back with ByteReader::literal.
  void put_raw(std::string_view s) { out.append(s); }

  std::string out;
};

// Reads a span of bytes it does not own. The first read that does not fit clears ok() for good
// and every later read returns a zero value, so a decoder may read a whole record and check
// ok() once. Every check compares a count with what is left (size - position), so no stored
// length, however large, can overflow the comparison.
class ByteReader {
 public:
  ByteReader(const char* data, size_t size) : data_(data), size_(size) {}
  explicit ByteReader(std::string_view bytes) : ByteReader(bytes.data(), bytes.size()) {}

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>, "only plain values have a byte image");
    T v{};
    read(&v, sizeof v);
    return v;
  }
  // Copies n bytes into p (zeros them when they are not there); false once anything failed.
  bool read(void* p, size_t n);
  // n bytes as a string; empty when they are not there.
  std::string get_bytes(uint64_t n);
  // What ByteWriter::put_string wrote.
  std::string get_string() { return get_bytes(get<uint64_t>()); }
  // Consumes `text` when the bytes here are exactly it; a mismatch fails like a short read.
  bool literal(std::string_view text);
  // A count of items at least `item_bytes` each (1 when given 0): false when the rest cannot
  // hold them, so a decoder can refuse before it allocates for a damaged count.
  bool plausible(uint64_t count, size_t item_bytes);
  // Moves to the next multiple of `a` (from the start of the span; a > 0).
  bool align(size_t a);
  bool skip(uint64_t n);

  const char* here() const { return data_ + pos_; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ == size_; }
  bool ok() const { return ok_; }

 private:
  // False (and ok() false from then on) unless n more bytes are there.
  bool fits(uint64_t n) {
    if (ok_ && n > size_ - pos_) ok_ = false;
    return ok_;
  }

  const char* data_;
  size_t size_, pos_ = 0;
  bool ok_ = true;
};

}  // namespace nl
