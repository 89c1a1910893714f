// The coverage cache's checksum: XXH3-64 of each fixed-size chunk, then XXH3-64 of those
// digests. Unlike one XXH3 over the whole file, the chunks of a mapped file can be verified on
// every thread at once — checking an index is mostly first-touch page faults on its mapping,
// and that was serial work at the start of every warm run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

struct XXH3_state_s;

namespace nl {

// Bytes per chunk: a multiple of any page size, so a verified chunk's pages can be released whole.
inline constexpr size_t kChecksumChunkBytes = size_t{4} << 20;

// Fed in pieces of any size (as a file is written); digest() once at the end.
class ChunkedChecksum {
 public:
  ChunkedChecksum();
  void update(const void* data, size_t size);
  uint64_t digest() const;

 private:
  struct FreeState {
    void operator()(XXH3_state_s* s) const;
  };
  std::unique_ptr<XXH3_state_s, FreeState> state_;  // the current chunk's hash so far
  size_t in_chunk_ = 0;                             // bytes of the current chunk fed so far
  std::vector<uint64_t> digests_;                   // of the chunks already complete
};

// The same checksum of `size` bytes in memory, chunks hashed in parallel on the OpenMP threads.
// With `release_pages`, each chunk's pages are handed back (MADV_DONTNEED) once hashed: for a
// mapped file larger than the memory budget, so the check costs no memory.
uint64_t chunked_checksum(const unsigned char* data, size_t size, bool release_pages);

}  // namespace nl
