#include "domain/credentials.h"

#include "edfleet/core/basic_credentials.h"

#include <algorithm>
#include <cctype>

#include "edfleet/core/base64.h"

namespace edfleet::gateway {
namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

core::Error unauthenticated(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), {}};
}

bool is_base64url(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

bool is_api_key_id(std::string_view id) {
  if (!id.starts_with(kApiKeyPrefix)) return false;
  std::string_view rest = id.substr(kApiKeyPrefix.size());
  return !rest.empty() && rest.size() <= 64 && std::all_of(rest.begin(), rest.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
  });
}

std::optional<ApiKeyCredential> parse_api_key(std::string_view key) {
  auto dot = key.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view id = key.substr(0, dot);
  std::string_view secret = key.substr(dot + 1);
  if (!is_api_key_id(id) || secret.size() < 16 || secret.size() > 128 || !is_base64url(secret)) return std::nullopt;
  return ApiKeyCredential{std::string(id), std::string(secret)};
}

std::string format_api_key(std::string_view id, std::string_view secret) {
  return std::string(id) + "." + std::string(secret);
}

core::Result<Credentials> parse_authorization(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty()) return Credentials{NoCredentials{}};
  if (iequals_prefix(header, "Bearer ")) {
    std::string_view token = header.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    if (token.empty()) return unauthenticated("empty bearer token");
    if (token.starts_with(kApiKeyPrefix)) {
      auto key = parse_api_key(token);
      if (!key) return unauthenticated("malformed API key; expected efk_<id>.<secret>");
      return Credentials{*key};
    }
    return Credentials{BearerToken{std::string(token)}};
  }
  if (core::is_basic_authorization(header)) {
    const auto basic = core::parse_basic_authorization(header);
    if (!basic) return unauthenticated("malformed Basic credentials (not base64 of user:password)");
    const std::string& user = basic->user;
    const std::string& password = basic->password;
    // user = key id, password = secret; or the whole key as the user (empty password) or as the
    // password (user empty or the key's id), for clients that have a single "key" field.
    std::optional<ApiKeyCredential> key;
    if (password.empty()) {
      key = parse_api_key(user);
    } else if (password.starts_with(kApiKeyPrefix)) {
      key = parse_api_key(password);
      if (key && !user.empty() && user != key->id) key.reset();
    } else {
      key = parse_api_key(user + "." + password);
    }
    if (!key) {
      return unauthenticated("Basic credentials must be the API key id (efk_...) and its secret, or the whole key");
    }
    return Credentials{*key};
  }
  return unauthenticated("unsupported Authorization scheme; use Bearer or Basic");
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference = difference | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

std::string Principal::roles_text() const {
  std::string out;
  for (const auto& role : roles) out += (out.empty() ? "" : ",") + role;
  return out;
}

}  // namespace edfleet::gateway
