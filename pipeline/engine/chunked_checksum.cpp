// Chunked XXH3-64 checksum, streaming (writer) and parallel (reader); see the header.
#include "pipeline/engine/chunked_checksum.hpp"

#include <sys/mman.h>
#include <xxhash.h>

#include <algorithm>
#include <stdexcept>

namespace nl {

void ChunkedChecksum::FreeState::operator()(XXH3_state_s* s) const {
  XXH3_freeState(s);
}

ChunkedChecksum::ChunkedChecksum() : state_(XXH3_createState()) {
  if (!state_ || XXH3_64bits_reset(state_.get()) != XXH_OK)
    throw std::runtime_error("cannot start a checksum");
}

void ChunkedChecksum::update(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const size_t take = std::min(size, kChecksumChunkBytes - in_chunk_);
    XXH3_64bits_update(state_.get(), p, take);
    p += take;
    size -= take;
    in_chunk_ += take;
    if (in_chunk_ == kChecksumChunkBytes) {
      digests_.push_back(XXH3_64bits_digest(state_.get()));
      XXH3_64bits_reset(state_.get());
      in_chunk_ = 0;
    }
  }
}

uint64_t ChunkedChecksum::digest() const {
  std::vector<uint64_t> all = digests_;
  if (in_chunk_ > 0) all.push_back(XXH3_64bits_digest(state_.get()));
  return XXH3_64bits(all.data(), all.size() * sizeof(uint64_t));
}

uint64_t chunked_checksum(const unsigned char* data, size_t size, bool release_pages) {
  const size_t chunks = (size + kChecksumChunkBytes - 1) / kChecksumChunkBytes;
  std::vector<uint64_t> digests(chunks);
  const auto n = static_cast<long long>(chunks);
#pragma omp parallel for schedule(dynamic, 1)
  for (long long c = 0; c < n; ++c) {
    const size_t at = static_cast<size_t>(c) * kChecksumChunkBytes;
    const size_t len = std::min(kChecksumChunkBytes, size - at);
    digests[static_cast<size_t>(c)] = XXH3_64bits(data + at, len);
    if (release_pages) ::madvise(const_cast<unsigned char*>(data) + at, len, MADV_DONTNEED);
  }
  return XXH3_64bits(digests.data(), digests.size() * sizeof(uint64_t));
}

}  // namespace nl
