#include "edfleet/core/base64.h"

#include <array>

namespace edfleet::core {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlSafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr unsigned char kInvalid = 0xFF;

constexpr std::array<unsigned char, 256> make_table(const char* alphabet) {
  std::array<unsigned char, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (unsigned char i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}

constexpr auto kStandardTable = make_table(kStandard);
constexpr auto kUrlSafeTable = make_table(kUrlSafe);

std::string encode(std::string_view data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    out.push_back(alphabet[(v >> 6) & 0x3F]);
    out.push_back(alphabet[v & 0x3F]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const unsigned v = static_cast<unsigned char>(data[i]) << 16;
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    out.push_back(alphabet[(v >> 6) & 0x3F]);
    if (pad) out.push_back('=');
  }
  return out;
}

// Decodes one string; padding only at the end, and optional.
std::optional<std::string> decode(std::string_view text, const std::array<unsigned char, 256>& table) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const unsigned char v = table[static_cast<unsigned char>(c)];
    if (v == kInvalid) return std::nullopt;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view data) { return encode(data, kStandard, true); }
std::string base64url_encode(std::string_view data) { return encode(data, kUrlSafe, false); }
std::optional<std::string> base64_decode(std::string_view text) { return decode(text, kStandardTable); }
std::optional<std::string> base64url_decode(std::string_view text) { return decode(text, kUrlSafeTable); }

core::Result<void> Base64StreamDecoder::feed(std::string_view chunk, std::string& out) {
  if (failed_) return core::Error::invalid("the base64 stream already failed");
  for (char c : chunk) {
    const std::size_t at = offset_++;
    if (c == '=') {
      // Padding may only fill positions 2 and 3 of a quantum ("xx==", "xxx=").
      if (filled_ < 2) {
        failed_ = true;
        return core::Error::invalid("base64 padding at offset " + std::to_string(at) +
                                    " starts a quantum; padding may only end one");
      }
      ++padding_;
      ++filled_;
    } else {
      const unsigned char v = kStandardTable[static_cast<unsigned char>(c)];
      if (v == kInvalid) {
        failed_ = true;
        return core::Error::invalid("invalid base64 character (byte " + std::to_string(static_cast<unsigned char>(c)) +
                                    ") at offset " + std::to_string(at));
      }
      if (padding_ > 0) {
        failed_ = true;
        return core::Error::invalid("base64 data after padding within a quantum at offset " + std::to_string(at));
      }
      quantum_[filled_++] = v;
    }
    if (filled_ == 4) {
      const int data_chars = 4 - padding_;  // 4, 3 or 2 characters carry 3, 2 or 1 bytes
      out.push_back(static_cast<char>((quantum_[0] << 2) | (quantum_[1] >> 4)));
      if (data_chars >= 3) out.push_back(static_cast<char>(((quantum_[1] & 0x0F) << 4) | (quantum_[2] >> 2)));
      if (data_chars == 4) out.push_back(static_cast<char>(((quantum_[2] & 0x03) << 6) | quantum_[3]));
      filled_ = 0;
      padding_ = 0;
    }
  }
  return {};
}

core::Result<void> Base64StreamDecoder::finish(std::string& out) {
  if (failed_) return core::Error::invalid("the base64 stream already failed");
  if (filled_ == 0) return {};
  if (padding_ > 0 || filled_ == 1) {
    failed_ = true;
    return core::Error::invalid("the base64 stream ends inside a quantum (" + std::to_string(filled_) +
                                " of 4 characters)");
  }
  // An unpadded final quantum of 2 or 3 characters.
  out.push_back(static_cast<char>((quantum_[0] << 2) | (quantum_[1] >> 4)));
  if (filled_ == 3) out.push_back(static_cast<char>(((quantum_[1] & 0x0F) << 4) | (quantum_[2] >> 2)));
  filled_ = 0;
  return {};
}

}  // namespace edfleet::core
