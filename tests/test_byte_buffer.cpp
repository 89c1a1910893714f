// The shared byte writer/reader (pipeline/io/byte_buffer.hpp): exact byte counts of what is
// written, and clean failure (ok() false, nothing read past the end) on every damaged input.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "pipeline/io/byte_buffer.hpp"

namespace {

// 2.5 (8 bytes) + 7u (4 bytes) + "abc" (8-byte length + 3) = 23 bytes.
std::string sample_record() {
  nl::ByteWriter w;
  w.put(2.5);
  w.put<uint32_t>(7);
  w.put_string("abc");
  return w.out;
}

// The first `n` bytes of `bytes` in a heap block of exactly n bytes, so that a read past the
// end touches memory the reader was not given (and a sanitized build reports it).
std::unique_ptr<char[]> exact_copy(const std::string& bytes, size_t n) {
  auto p = std::make_unique<char[]>(n ? n : 1);
  std::memcpy(p.get(), bytes.data(), n);
  return p;
}

}  // namespace

TEST_CASE("byte buffer: a double, a uint32 and \"abc\" take 8 + 4 + 8+3 = 23 bytes and read back") {
  const std::string bytes = sample_record();
  REQUIRE(bytes.size() == 23);
  // Host byte order, no padding: the length prefix 3 sits right after the 12 bytes of values.
  uint64_t prefix = 0;
  std::memcpy(&prefix, bytes.data() + 12, 8);
  CHECK(prefix == 3);
  CHECK(bytes.substr(20) == "abc");
  nl::ByteReader r(bytes);
  CHECK(r.get<double>() == 2.5);
  CHECK(r.get<uint32_t>() == 7u);
  CHECK(r.get_string() == "abc");
  CHECK(r.ok());
  CHECK(r.at_end());
  CHECK(r.position() == 23);
}

TEST_CASE("byte buffer: more types, an empty string and a raw header keep their sizes (1+8+2+9+8+0 = 28)") {
  nl::ByteWriter w;
  w.put<int8_t>(-3);
  w.put<int64_t>(std::numeric_limits<int64_t>::min());
  w.put<uint16_t>(65535);
  w.put_raw("NLUNITS1\n");  // 9 bytes, no length in front
  w.put_string("");         // the 8-byte length 0 only
  REQUIRE(w.out.size() == 28);
  nl::ByteReader r(w.out.data(), w.out.size());
  CHECK(r.get<int8_t>() == -3);
  CHECK(r.get<int64_t>() == std::numeric_limits<int64_t>::min());
  CHECK(r.get<uint16_t>() == 65535);
  CHECK(r.literal("NLUNITS1\n"));
  CHECK(r.get_string().empty());
  CHECK(r.ok());
  CHECK(r.at_end());
}

TEST_CASE("byte buffer: cut at each of the 23 positions short of the end, the record fails and reads nothing past the cut") {
  const std::string bytes = sample_record();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    CAPTURE(cut);
    const auto copy = exact_copy(bytes, cut);
    nl::ByteReader r(copy.get(), cut);
    const double d = r.get<double>();
    const uint32_t u = r.get<uint32_t>();
    const std::string s = r.get_string();
    CHECK_FALSE(r.ok());
    CHECK(r.position() <= cut);
    // What was cut off reads as zero/empty, never as bytes beyond the span.
    if (cut < 8) CHECK(d == 0.0);
    if (cut < 12) CHECK(u == 0u);
    CHECK(s.empty());
  }
  nl::ByteReader whole(bytes);  // the uncut record, for contrast
  CHECK(whole.get<double>() == 2.5);
  CHECK(whole.get<uint32_t>() == 7u);
  CHECK(whole.get_string() == "abc");
  CHECK(whole.ok());
}

TEST_CASE("byte buffer: a string length of 2^63 or 2^64-1 fails without moving or wrapping around") {
  for (const uint64_t length : {uint64_t(1) << 63, std::numeric_limits<uint64_t>::max()}) {
    CAPTURE(length);
    nl::ByteWriter w;
    w.put(length);
    w.put_raw("abc");
    nl::ByteReader r(w.out);
    // 8 + 2^64-1 wraps to 7 in position + n arithmetic; it must still be refused.
    CHECK(r.get_string().empty());
    CHECK_FALSE(r.ok());
    CHECK(r.position() == 8);
    // Sticky: the 3 bytes that are there are not read any more.
    CHECK(r.get<uint8_t>() == 0);
    CHECK(r.position() == 8);
  }
}

TEST_CASE("byte buffer: plausible counts are judged against the 16 bytes left") {
  const std::string sixteen(16, 'x');
  nl::ByteReader r(sixteen);
  CHECK(r.plausible(2, 8));    // 2 × 8 = 16 fits
  CHECK(r.plausible(16, 0));   // item size 0 counts as 1: 16 fits
  CHECK(r.ok());
  CHECK_FALSE(r.plausible(3, 8));  // 24 > 16
  CHECK_FALSE(r.ok());
  nl::ByteReader huge(sixteen);
  CHECK_FALSE(huge.plausible(uint64_t(1) << 63, 16));
}

TEST_CASE("byte buffer: align and skip stay within the span") {
  const std::string ten(10, '\0');
  nl::ByteReader r(ten);
  r.get<uint8_t>();
  CHECK(r.align(8));
  CHECK(r.position() == 8);  // 1 rounded up to 8
  CHECK(r.align(8));
  CHECK(r.position() == 8);  // already aligned: no move
  CHECK(r.skip(2));
  CHECK(r.at_end());
  CHECK(r.skip(0));
  CHECK_FALSE(r.skip(1));  // nothing left
  CHECK_FALSE(r.ok());

  const std::string seven(7, '\0');
  nl::ByteReader short_pad(seven);
  short_pad.get<uint8_t>();
  CHECK_FALSE(short_pad.align(8));  // the next multiple of 8 is past the 7 bytes
  CHECK(short_pad.position() == 1);

  nl::ByteReader wrap(seven);
  wrap.get<uint8_t>();
  CHECK_FALSE(wrap.skip(std::numeric_limits<uint64_t>::max()));  // 1 + n would wrap to 0
  CHECK(wrap.position() == 1);

  nl::ByteReader zero(seven);
  CHECK_FALSE(zero.align(0));
}

TEST_CASE("byte buffer: a literal is consumed when it matches and fails the reader when it does not") {
  const std::string bytes = std::string("NLUNITS1\n") + "rest";
  nl::ByteReader match(bytes);
  CHECK(match.literal("NLUNITS1\n"));
  CHECK(match.position() == 9);
  CHECK(match.here() == bytes.data() + 9);

  nl::ByteReader other(bytes);
  CHECK_FALSE(other.literal("NLUNITS2\n"));  // differs in its 8th byte
  CHECK_FALSE(other.ok());
  CHECK(other.position() == 0);

  nl::ByteReader longer(bytes);
  CHECK_FALSE(longer.literal(bytes + "!"));  // one byte more than there is
  CHECK(longer.position() == 0);
}
