#include "transport/xapi_http.h"

#include "edfleet/core/basic_credentials.h"
#include "edfleet/http/alternate_syntax.h"
#include "edfleet/http/status.h"
#include "edfleet/http/caller.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <set>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "domain/validation.h"
#include "domain/xapi/store_statements.h"

#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"

namespace edfleet::ingest {
namespace {

using nlohmann::json;

constexpr int kMaxJsonDepth = 100;


bool equal_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace


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

std::string answer_version(const httplib::Request& req) {
  const auto version = xapi::parse_version(req.get_header_value(kVersionHeader));
  return version ? std::string(xapi::version_in_use(*version)) : std::string(kVersionForUnversionedRequests);
}

void ensure_version_header(const httplib::Request& req, httplib::Response& res) {
  if (!res.has_header(kVersionHeader)) res.set_header(kVersionHeader, answer_version(req));
}

core::Result<XapiCaller> authenticate(const httplib::Request& req, const XapiAuthentication& authentication) {
  const auto unauthenticated = [](std::string message) {
    return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), "Authorization"};
  };
  const auto& basic_credentials = authentication.basic_credentials;
  if (authentication.verifier == nullptr) {
    if (req.has_header("X-Edfleet-Tenant") || req.has_header("X-Edfleet-Principal")) {
      return unauthenticated("This LRS accepts no forwarded caller identity.");
    }
  } else {
    // Set and signed by the gateway after it authenticated the caller; never believed unsigned,
    // since anything that reaches this port could send the headers.
    auto claimed = http::verified_caller(req, *authentication.verifier);
    if (!claimed) return unauthenticated(claimed.error().message);
    if (claimed.value()) {
      const auto& caller = *claimed.value();
      if (!is_tenant_slug(caller.tenant)) return unauthenticated("X-Edfleet-Tenant is not a tenant slug.");
      return XapiCaller{caller.tenant, caller.principal};
    }
  }
  const std::string authorization = req.get_header_value("Authorization");
  if (authorization.empty()) return unauthenticated("Credentials are required (HTTP Basic).");
  if (!core::is_basic_authorization(authorization)) return unauthenticated("Only HTTP Basic credentials are accepted.");
  const auto basic = core::parse_basic_authorization(authorization);
  if (!basic) return unauthenticated("The Basic credentials are not base64 of user:password.");
  const std::string& user = basic->user;
  const std::string& password = basic->password;
  const auto entry = basic_credentials.find(user);
  if (entry == basic_credentials.end()) return unauthenticated("Unknown user or wrong password.");
  const auto sep = entry->second.find(':');
  const std::string tenant = entry->second.substr(0, sep);
  const std::string expected = sep == std::string::npos ? std::string() : entry->second.substr(sep + 1);
  if (expected.empty() || !equal_secret(password, expected)) return unauthenticated("Unknown user or wrong password.");
  return XapiCaller{tenant, user};
}

std::optional<XapiRequestContext> prepare_xapi_request(const httplib::Request& req, httplib::Response& res,
                                                       const XapiAuthentication& authentication,
                                                       core::IdGenerator& ids) {
  const auto parent = edfleet::grpc::parse_traceparent(req.get_header_value("traceparent"));
  const std::string trace_id = parent ? parent->trace_id : ids.trace_id();
  res.set_header("X-Edfleet-Trace-Id", trace_id);
  auto caller = authenticate(req, authentication);
  if (!caller) {
    res.set_header(kVersionHeader, answer_version(req));
    send_error(res, caller.error());
    return std::nullopt;
  }
  auto version = request_version(req);
  if (!version) {
    res.set_header(kVersionHeader, kVersionForUnversionedRequests);  // see its comment (Communication 3.3)
    send_error(res, version.error());
    return std::nullopt;
  }
  res.set_header(kVersionHeader, std::string(xapi::version_in_use(*version)));
  return XapiRequestContext{std::move(caller).value(), *version, req.get_header_value(kVersionHeader), trace_id};
}

namespace {

// Where the parser is while it reads a body, so a duplicate key can be reported with its path. One frame per
// open object or array; objects remember their keys (duplicates are refused: xAPI Data 2.2, "A Statement
// MUST use each property no more than one time", and nlohmann would silently keep the last value).
struct JsonFrame {
  bool is_object = false;
  std::size_t index = 0;          // arrays: the element being read
  std::string key;                // objects: the key being read
  std::unordered_set<std::string> keys;  // objects: every key seen so far
};

std::string frame_path(const std::vector<JsonFrame>& frames, std::size_t count) {
  std::string path;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& f = frames[i];
    if (f.is_object) {
      path += path.empty() ? f.key : "." + f.key;
    } else {
      path += "[" + std::to_string(f.index) + "]";
    }
  }
  return path;
}

}  // namespace

// The first duplicate key of `text` (valid JSON known to have one), with its path. The slow path of
// parse_json_text: it remembers every key of every open object.
core::Error duplicate_key_error(std::string_view text) {
  std::optional<core::Error> duplicate;
  std::vector<JsonFrame> frames;
  // A value inside an array is complete: the next one is the following element.
  const auto element_done = [&frames] {
    if (!frames.empty() && !frames.back().is_object) ++frames.back().index;
  };
  [[maybe_unused]] const json ignored = json::parse(
      text,
      [&](int, json::parse_event_t event, json& parsed) {
        if (duplicate) return false;
        switch (event) {
          case json::parse_event_t::object_start: frames.push_back(JsonFrame{true, 0, {}, {}}); break;
          case json::parse_event_t::array_start: frames.push_back(JsonFrame{false, 0, {}, {}}); break;
          case json::parse_event_t::key: {
            auto& f = frames.back();
            f.key = parsed.get<std::string>();
            if (!f.keys.insert(f.key).second) {
              const std::string where = frames.size() == 1 ? "the top-level object"
                                                           : "the object at " + frame_path(frames, frames.size() - 1);
              duplicate = core::Error::invalid("The JSON body has the key \"" + f.key + "\" more than once in " +
                                                   where + " (a property may be used only once).",
                                               frame_path(frames, frames.size()));
            }
            break;
          }
          case json::parse_event_t::object_end:
          case json::parse_event_t::array_end:
            frames.pop_back();
            element_done();
            break;
          case json::parse_event_t::value: element_done(); break;
        }
        return true;
      },
      /*allow_exceptions=*/false);
  return duplicate ? *duplicate : core::Error::invalid("The JSON body has a key more than once in an object.");
}

namespace {

// Builds the tree in one pass (nlohmann's own DOM parser, minus the per-event callback object it needs
// for a callback) and notes what parse_json_text refuses: a key twice in one object, and more than
// kMaxJsonDepth nested containers (the parse stops there).
class TreeBuilder {
 public:
  explicit TreeBuilder(json& root) : root_(root) {}

  bool null() { return put(nullptr) != nullptr; }
  bool boolean(bool value) { return put(value) != nullptr; }
  bool number_integer(json::number_integer_t value) { return put(value) != nullptr; }
  bool number_unsigned(json::number_unsigned_t value) { return put(value) != nullptr; }
  bool number_float(json::number_float_t value, const json::string_t&) { return put(value) != nullptr; }
  bool string(json::string_t& value) { return put(value) != nullptr; }
  bool binary(json::binary_t& value) { return put(std::move(value)) != nullptr; }
  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& name) {
    auto& members = *stack_.back()->get_ptr<json::object_t*>();
    auto [at, inserted] = members.try_emplace(name);
    if (!inserted) {
      has_duplicate_ = true;  // as nlohmann's parser: the last value wins (the request is refused anyway)
      at->second = json();
    }
    slot_ = &at->second;
    return true;
  }
  // Syntax errors are reported; anything else nlohmann raises (e.g. a number out of range) propagates
  // as it did from json::parse.
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& error) {
    if constexpr (std::is_base_of_v<json::parse_error, Exception>) {
      syntax_error_ = error.what();
      return false;
    } else {
      throw error;
    }
  }

  bool too_deep() const { return too_deep_; }
  bool has_duplicate() const { return has_duplicate_; }
  const std::optional<std::string>& syntax_error() const { return syntax_error_; }

 private:
  template <class Value>
  json* put(Value&& value) {
    if (stack_.empty()) {
      root_ = json(std::forward<Value>(value));
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      auto& elements = *parent.get_ptr<json::array_t*>();
      elements.emplace_back(std::forward<Value>(value));
      return &elements.back();
    }
    *slot_ = json(std::forward<Value>(value));
    return slot_;
  }
  bool open(json::value_t type) {
    // The 101st nested object or array is refused (it would start at depth 100).
    if (stack_.size() >= static_cast<std::size_t>(kMaxJsonDepth)) {
      too_deep_ = true;
      return false;
    }
    stack_.push_back(put(type));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json& root_;
  std::vector<json*> stack_;  // the open containers, innermost last
  json* slot_ = nullptr;      // where the value of the last key read goes
  bool too_deep_ = false;
  bool has_duplicate_ = false;
  std::optional<std::string> syntax_error_;
};

}  // namespace

core::Result<json> parse_json_text(std::string_view text) {
  json root;
  TreeBuilder builder(root);
  const bool parsed = json::sax_parse(text, &builder);
  if (builder.too_deep()) return core::Error::invalid("The JSON body is nested more than 100 levels deep.");
  if (builder.syntax_error()) {
    // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..." without the prefix.
    std::string detail = *builder.syntax_error();
    if (const auto at = detail.find("parse error at "); at != std::string::npos) detail = detail.substr(at + 15);
    if (detail.size() > 200) detail = detail.substr(0, 197) + "...";
    return core::Error::invalid("The body is not valid JSON: " + detail);
  }
  if (!parsed) return core::Error::invalid("The body is not valid JSON.");
  if (builder.has_duplicate()) return duplicate_key_error(text);
  return root;
}

core::Result<void> check_parameters(const httplib::Request& req, std::initializer_list<std::string_view> known,
                                    std::string_view resource) {
  for (const auto& [name, value] : req.params) {
    if (std::find(known.begin(), known.end(), name) != known.end()) {
      if (req.params.count(name) > 1) {
        return core::Error::invalid("Parameter \"" + name + "\" is given more than once.", name);
      }
      continue;
    }
    std::string hint;
    for (const auto& candidate : known) {
      if (xapi::to_lower(std::string(candidate)) == xapi::to_lower(name)) {
        hint = "; parameters are case-sensitive: did you mean \"" + std::string(candidate) + "\"?";
      }
    }
    return core::Error::invalid("Unknown parameter \"" + name + "\" for " + std::string(resource) +
                                    (hint.empty() ? "." : hint),
                                name);
  }
  return {};
}

core::Result<httplib::Request> alternate_syntax_request(const httplib::Request& req, httplib::Response& res) {
  static const std::set<std::string, std::less<>> kHeaderFields = {"Authorization", "X-Experience-API-Version",
                                                                   "Content-Type", "Content-Length", "If-Match",
                                                                   "If-None-Match", "Accept-Language"};
  httplib::Request inner;
  inner.method = http::alternate_method(req).value;  // callers refused a repeated `method`
  inner.path = req.path;
  inner.remote_addr = req.remote_addr;
  for (const auto& [name, value] : req.headers) {
    if (name != "Content-Type" && name != "Content-Length") inner.headers.emplace(name, value);
  }
  httplib::Params fields;
  httplib::detail::parse_query_text(req.body, fields);
  for (const auto& [name, value] : fields) {
    if (kHeaderFields.contains(name)) {  // the form wins over the real headers
      inner.headers.erase(name);
      inner.headers.emplace(name, value);
    } else if (name == "content") {
      inner.body = value;
    } else {
      inner.params.emplace(name, value);
    }
  }
  inner.target = req.path + (inner.params.empty() ? "" : "?" + httplib::detail::params_to_query_str(inner.params));
  if (xapi::parse_version(inner.get_header_value(kVersionHeader)) == xapi::Version::k2_0) {
    res.set_header(kVersionHeader, "2.0.0");
    return core::Error::invalid("xAPI 2.0 has no alternate request syntax; send the request itself.", "method");
  }
  return inner;
}


}  // namespace edfleet::ingest
