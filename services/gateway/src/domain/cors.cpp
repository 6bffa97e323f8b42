#include "domain/cors.h"

#include <algorithm>
#include <cctype>

namespace edfleet::gateway {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> origins, std::chrono::seconds max_age)
    : origins_(std::move(origins)), max_age_(max_age) {
  any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

bool CorsPolicy::allows(std::string_view origin) const {
  if (origin.empty()) return false;
  return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

HeaderList CorsPolicy::response_headers(std::string_view origin) const {
  if (!allows(origin)) return {};
  // The origin itself (not "*"): credentials (Authorization) are allowed, and "*" forbids that.
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Access-Control-Expose-Headers", std::string(kExposedHeaders)},
          {"Vary", "Origin"}};
}

HeaderList CorsPolicy::preflight_headers(std::string_view origin, std::string_view requested_headers,
                                         std::string_view methods) const {
  if (!allows(origin)) return {};
  std::string reflected;
  std::size_t start = 0;
  while (start <= requested_headers.size()) {
    auto comma = requested_headers.find(',', start);
    std::string_view item = requested_headers.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                              : comma - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty() && std::all_of(item.begin(), item.end(), is_token_char)) {
      if (!reflected.empty()) reflected += ", ";
      reflected += item;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Access-Control-Allow-Methods", std::string(methods)},
          {"Access-Control-Allow-Headers", reflected},
          {"Access-Control-Max-Age", std::to_string(max_age_.count())},
          {"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}};
}

}  // namespace edfleet::gateway
