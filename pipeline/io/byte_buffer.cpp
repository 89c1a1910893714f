// The byte reader's non-template reads (see byte_buffer.hpp).
#include "pipeline/io/byte_buffer.hpp"

namespace nl {

bool ByteReader::read(void* p, size_t n) {
  if (!fits(n)) {
    if (n) std::memset(p, 0, n);
    return false;
  }
  if (n) std::memcpy(p, data_ + pos_, n);
  pos_ += n;
  return true;
}

std::string ByteReader::get_bytes(uint64_t n) {
  if (!fits(n)) return {};
  std::string s(data_ + pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return s;
}

bool ByteReader::literal(std::string_view text) {
  if (!fits(text.size())) return false;
  if (text.size() && std::memcmp(data_ + pos_, text.data(), text.size()) != 0) return ok_ = false;
  pos_ += text.size();
  return true;
}

bool ByteReader::plausible(uint64_t count, size_t item_bytes) {
  if (ok_ && count > (size_ - pos_) / (item_bytes ? item_bytes : 1)) ok_ = false;
  return ok_;
}

bool ByteReader::align(size_t a) {
  if (a == 0) return ok_ = false;
  return skip((a - pos_ % a) % a);
}

bool ByteReader::skip(uint64_t n) {
  if (!fits(n)) return false;
  pos_ += static_cast<size_t>(n);
  return true;
}

}  // namespace nl
