#include "edfleet/http/header_values.h"

#include <algorithm>
#include <string_view>

namespace edfleet::http {

bool is_safe_header_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte <= 0x7E);
  });
}

bool is_header_name(std::string_view name) {
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
           kTokenPunctuation.find(c) != std::string_view::npos;
  });
}

}  // namespace edfleet::http
