#include "transport/xapi_http.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <ctime>

#include "domain/validation.h"
#include "domain/xapi/store_statements.h"

#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"

namespace edfleet::ingest {
namespace {

using nlohmann::json;

constexpr int kMaxJsonDepth = 100;

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  if (text.ends_with("==")) size -= 2;
  else if (text.ends_with("=")) size -= 1;
  out.resize(size);
  return out;
}

bool equal_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

int http_status(core::ErrorCode code) {
  switch (code) {
    case core::ErrorCode::kInvalidArgument: return 400;
    case core::ErrorCode::kUnauthenticated: return 401;
    case core::ErrorCode::kPermissionDenied: return 403;
    case core::ErrorCode::kNotFound: return 404;
    case core::ErrorCode::kConflict:
    case core::ErrorCode::kAlreadyExists: return 409;
    case core::ErrorCode::kFailedPrecondition: return 412;
    case core::ErrorCode::kResourceExhausted: return 413;
    case core::ErrorCode::kUnavailable: return 503;
    default: return 500;
  }
}

void send_error(httplib::Response& res, const core::Error& error) {
  json body = {{"error",
                {{"code", edfleet::grpc::status_code_name(edfleet::grpc::to_status_code(error.code))},
                 {"message", error.message}}}};
  if (!error.field.empty()) body["error"]["field"] = error.field;
  res.status = http_status(error.code);
  if (res.status == 401) res.set_header("WWW-Authenticate", "Basic realm=\"edfleet xAPI\"");
  if (res.status == 503) res.set_header("Retry-After", "1");
  res.set_content(body.dump(), "application/json");
}

core::Result<xapi::Version> request_version(const httplib::Request& req) {
  if (!req.has_header(kVersionHeader)) {
    return core::Error::invalid("The X-Experience-API-Version header is required (1.0.3 or 2.0.0).",
                                kVersionHeader);
  }
  const std::string value = req.get_header_value(kVersionHeader);
  const auto version = xapi::parse_version(value);
  if (!version) {
    return core::Error::invalid("X-Experience-API-Version \"" + value + "\" is not supported; use 1.0.x or 2.0.x.",
                                kVersionHeader);
  }
  return *version;
}

core::Result<XapiCaller> authenticate(const httplib::Request& req,
                                      const std::map<std::string, std::string>& basic_credentials) {
  const auto unauthenticated = [](std::string message) {
    return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), "Authorization"};
  };
  if (req.has_header("X-Edfleet-Tenant")) {
    // Set by the gateway after it authenticated the caller; ingest is not reachable from outside.
    const std::string tenant = req.get_header_value("X-Edfleet-Tenant");
    if (!is_tenant_slug(tenant)) return unauthenticated("X-Edfleet-Tenant is not a tenant slug.");
    return XapiCaller{tenant, req.get_header_value("X-Edfleet-Principal")};
  }
  const std::string authorization = req.get_header_value("Authorization");
  if (authorization.empty()) return unauthenticated("Credentials are required (HTTP Basic).");
  if (authorization.size() < 6 || authorization.substr(0, 6) != "Basic ") {
    return unauthenticated("Only HTTP Basic credentials are accepted.");
  }
  const auto decoded = base64_decode(std::string_view(authorization).substr(6));
  if (!decoded) return unauthenticated("The Basic credentials are not valid base64.");
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return unauthenticated("The Basic credentials must be user:password.");
  const std::string user = decoded->substr(0, colon);
  const std::string password = decoded->substr(colon + 1);
  const auto entry = basic_credentials.find(user);
  if (entry == basic_credentials.end()) return unauthenticated("Unknown user or wrong password.");
  const auto sep = entry->second.find(':');
  const std::string tenant = entry->second.substr(0, sep);
  const std::string expected = sep == std::string::npos ? std::string() : entry->second.substr(sep + 1);
  if (expected.empty() || !equal_secret(password, expected)) return unauthenticated("Unknown user or wrong password.");
  return XapiCaller{tenant, user};
}

std::optional<XapiRequestContext> prepare_xapi_request(const httplib::Request& req, httplib::Response& res,
                                                       const std::map<std::string, std::string>& basic_credentials,
                                                       core::IdGenerator& ids) {
  const auto parent = edfleet::grpc::parse_traceparent(req.get_header_value("traceparent"));
  const std::string trace_id = parent ? parent->trace_id : ids.trace_id();
  res.set_header("X-Edfleet-Trace-Id", trace_id);
  auto caller = authenticate(req, basic_credentials);
  if (!caller) {
    res.set_header(kVersionHeader, "2.0.0");
    send_error(res, caller.error());
    return std::nullopt;
  }
  auto version = request_version(req);
  if (!version) {
    res.set_header(kVersionHeader, "2.0.0");
    send_error(res, version.error());
    return std::nullopt;
  }
  res.set_header(kVersionHeader, std::string(xapi::version_in_use(*version)));
  return XapiRequestContext{std::move(caller).value(), *version, req.get_header_value(kVersionHeader), trace_id};
}

core::Result<json> parse_json_text(std::string_view text) {
  bool too_deep = false;
  json root = json::parse(
      text,
      [&too_deep](int depth, json::parse_event_t, json&) {
        if (depth > kMaxJsonDepth) too_deep = true;
        return !too_deep;
      },
      /*allow_exceptions=*/false);
  if (too_deep) return core::Error::invalid("The JSON body is nested more than 100 levels deep.");
  if (root.is_discarded()) return core::Error::invalid("The body is not valid JSON.");
  return root;
}

std::string http_date(core::Timestamp t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  const auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

}  // namespace edfleet::ingest
