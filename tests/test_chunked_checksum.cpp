// The coverage cache's chunked checksum: streaming and parallel forms agree with its definition.
#include <doctest/doctest.h>
#include <xxhash.h>

#include <cstdint>
#include <random>
#include <vector>

#include "pipeline/engine/chunked_checksum.hpp"

namespace {

// 2.5 chunks of deterministic bytes: a whole chunk, another, and a partial last one.
std::vector<unsigned char> sample_bytes() {
  std::vector<unsigned char> bytes(nl::kChecksumChunkBytes * 5 / 2 + 123);
  std::mt19937_64 rng(15);
  for (auto& b : bytes) b = static_cast<unsigned char>(rng());
  return bytes;
}

// The definition written out with one-shot XXH3 calls: each chunk's digest, then theirs.
uint64_t by_definition(const std::vector<unsigned char>& bytes) {
  std::vector<uint64_t> digests;
  for (size_t at = 0; at < bytes.size(); at += nl::kChecksumChunkBytes)
    digests.push_back(
        XXH3_64bits(bytes.data() + at, std::min(nl::kChecksumChunkBytes, bytes.size() - at)));
  return XXH3_64bits(digests.data(), digests.size() * sizeof(uint64_t));
}

}  // namespace

TEST_CASE(
    "chunked checksum: fed in odd pieces, or hashed in parallel, it is the definition's value") {
  const auto bytes = sample_bytes();
  const uint64_t expected = by_definition(bytes);
  nl::ChunkedChecksum streamed;
  // Pieces of 1, 7, 4093, … bytes straddle the chunk boundaries at every offset class.
  size_t at = 0, piece = 1;
  while (at < bytes.size()) {
    const size_t n = std::min(piece, bytes.size() - at);
    streamed.update(bytes.data() + at, n);
    at += n;
    piece = piece * 7 % 1000003 + 1;
  }
  CHECK(streamed.digest() == expected);
  CHECK(nl::chunked_checksum(bytes.data(), bytes.size(), false) == expected);
  // Empty input: XXH3 of no digests at all, both ways.
  CHECK(nl::ChunkedChecksum().digest() == XXH3_64bits(nullptr, 0));
  CHECK(nl::chunked_checksum(nullptr, 0, false) == XXH3_64bits(nullptr, 0));
}

TEST_CASE("chunked checksum: a change in any chunk, or chunks in another order, changes it") {
  auto bytes = sample_bytes();
  const uint64_t original = by_definition(bytes);
  for (const size_t at : {size_t{0}, nl::kChecksumChunkBytes + 5, bytes.size() - 1}) {
    auto changed = bytes;
    changed[at] ^= 0x10;
    CHECK(nl::chunked_checksum(changed.data(), changed.size(), false) != original);
  }
  // The first two (whole) chunks swapped: every chunk digest is still present, only the order
  // differs.
  std::vector<unsigned char> swapped(
      bytes.begin() + static_cast<std::ptrdiff_t>(nl::kChecksumChunkBytes),
      bytes.begin() + static_cast<std::ptrdiff_t>(2 * nl::kChecksumChunkBytes));
  swapped.insert(swapped.end(), bytes.begin(),
                 bytes.begin() + static_cast<std::ptrdiff_t>(nl::kChecksumChunkBytes));
  swapped.insert(swapped.end(),
                 bytes.begin() + static_cast<std::ptrdiff_t>(2 * nl::kChecksumChunkBytes),
                 bytes.end());
  REQUIRE(swapped.size() == bytes.size());
  CHECK(nl::chunked_checksum(swapped.data(), swapped.size(), false) != original);
}
