#include "domain/xapi_access.h"

#include <algorithm>
#include <array>

#include "domain/text.h"

namespace edfleet::gateway {
namespace {

constexpr std::array<std::string_view, 6> kRequestHeaders = {
    "x-experience-api-version", "content-type", "if-match", "if-none-match", "accept-language", "accept"};
constexpr std::array<std::string_view, 9> kResponseHeaders = {
    "x-experience-api-version", "x-experience-api-consistent-through", "etag", "last-modified", "allow",
    "www-authenticate", "retry-after", "location", "x-edfleet-trace-id"};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form/query decoding: '+' is a space, %XX a byte; a malformed escape is kept as it is.
std::string form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Calls `visit(name, value, raw_pair)` for each name=value pair of an &-separated list (raw text).
template <typename Visit>
void for_each_pair(std::string_view text, Visit&& visit) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto amp = text.find('&', start);
    const std::string_view pair = text.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      visit(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), pair);
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
}

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view name) {
  const std::string key = to_lower(name);
  return std::find(list.begin(), list.end(), key) != list.end();
}

}  // namespace

bool is_xapi_path(std::string_view path) { return path == "/xapi" || path.starts_with("/xapi/"); }

bool is_public_xapi_path(std::string_view path) { return path == "/xapi/about" || path == "/xapi/about/"; }

bool is_plain_path(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string_view segment =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

std::string_view xapi_policy_method(std::string_view http_method, bool alternate_syntax_reads) {
  if (http_method == "GET" || http_method == "HEAD") return kXapiReadMethod;
  // The 1.0.3 alternate syntax: the real method is the query's `method` parameter. Anything but
  // exactly one GET or HEAD there (none, a write, or several) is a write.
  if (http_method == "POST" && alternate_syntax_reads) return kXapiReadMethod;
  return kXapiWriteMethod;
}

std::string_view xapi_action(std::string_view policy_method) {
  return policy_method == kXapiReadMethod ? "read the LRS" : "write to the LRS";
}

bool is_forwarded_xapi_request_header(std::string_view name) { return listed(kRequestHeaders, name); }

bool is_returned_xapi_response_header(std::string_view name) { return listed(kResponseHeaders, name); }

TakenFormField take_form_field(std::string_view body, std::string_view name) {
  TakenFormField out;
  const std::string wanted = to_lower(name);
  for_each_pair(body, [&](std::string_view key, std::string_view value, std::string_view pair) {
    if (to_lower(form_decode(key)) == wanted) {
      if (!out.value) out.value = form_decode(value);
      return;
    }
    if (!out.rest.empty()) out.rest += '&';
    out.rest += pair;
  });
  return out;
}

bool is_form_content_type(std::string_view content_type) {
  return to_lower(trim_blanks(content_type)).starts_with("application/x-www-form-urlencoded");
}

std::string_view xapi_answer_version(std::string_view request_version) {
  return trim_blanks(request_version).starts_with("2.0") ? "2.0.0" : "1.0.3";
}

}  // namespace edfleet::gateway
