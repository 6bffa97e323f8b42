#include "domain/cors.h"

#include <algorithm>
#include <cctype>

namespace edfleet::gateway {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

constexpr std::string_view kAnyOrigin = "*";

}  // namespace

core::Result<void> validate_cors_origins(const std::vector<std::string>& origins) {
  const bool any = std::find(origins.begin(), origins.end(), kAnyOrigin) != origins.end();
  if (!any) return {};
  std::string listed;
  for (const auto& origin : origins) {
    if (origin != kAnyOrigin) listed += (listed.empty() ? "" : ", ") + origin;
  }
  if (listed.empty()) return {};
  return core::Error::invalid("\"*\" (any origin, answered without credentials) cannot be combined with listed "
                              "origins (" + listed + "); configure either [\"*\"] or the exact origins",
                              "cors.allowed_origins");
}

CorsPolicy::CorsPolicy(std::vector<std::string> origins, std::chrono::seconds max_age)
    : origins_(std::move(origins)), max_age_(max_age) {
  any_ = std::find(origins_.begin(), origins_.end(), kAnyOrigin) != origins_.end();
}

bool CorsPolicy::allows(std::string_view origin) const {
  if (origin.empty()) return false;
  return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

HeaderList CorsPolicy::response_headers(std::string_view origin) const {
  if (!allows(origin)) return {};
  if (any_) {
    // Anonymous CORS: the same answer for every origin, so no Vary: Origin either.
    return {{"Access-Control-Allow-Origin", std::string(kAnyOrigin)},
            {"Access-Control-Expose-Headers", std::string(kExposedHeaders)}};
  }
  // A listed origin: the origin itself, with credentials, which "*" may never carry.
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
  if (any_) {
    return {{"Access-Control-Allow-Origin", std::string(kAnyOrigin)},
            {"Access-Control-Allow-Methods", std::string(methods)},
            {"Access-Control-Allow-Headers", reflected},
            {"Access-Control-Max-Age", std::to_string(max_age_.count())},
            {"Vary", "Access-Control-Request-Method, Access-Control-Request-Headers"}};
  }
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Access-Control-Allow-Methods", std::string(methods)},
          {"Access-Control-Allow-Headers", reflected},
          {"Access-Control-Max-Age", std::to_string(max_age_.count())},
          {"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}};
}

}  // namespace edfleet::gateway
