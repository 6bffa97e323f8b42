#include "transport/xapi_routes.h"

#include "edfleet/http/alternate_syntax.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "domain/validation.h"
#include "domain/xapi/formats.h"
#include "domain/xapi/multipart.h"
#include "domain/xapi/statement_form.h"
#include "domain/xapi/statement_validation.h"
#include "edfleet/core/log.h"

namespace edfleet::ingest {
namespace {

using nlohmann::json;

bool is_json(const std::string& content_type) { return xapi::to_lower(content_type).starts_with("application/json"); }

// A PUT/POST body: the statements, and for multipart/mixed (Communication 1.5.2) the attachment parts.
struct StatementsBody {
  json statements;
  bool multipart = false;
  std::vector<xapi::MultipartPart> attachment_parts;
};

core::Result<StatementsBody> parse_body(const httplib::Request& req) {
  const std::string content_type = req.get_header_value("Content-Type");
  if (xapi::media_type(content_type) == "multipart/mixed") {
    const auto boundary = xapi::multipart_boundary(content_type);
    if (!boundary) return boundary.error();
    auto parts = xapi::parse_multipart(req.body, *boundary);
    if (!parts) return parts.error();
    const auto& first = parts->front();
    const auto first_type = first.header("Content-Type");
    if (!first_type || xapi::media_type(*first_type) != "application/json") {
      return core::Error::invalid("The first part of a multipart/mixed request must be the statements with "
                                  "Content-Type application/json; got " +
                                      (first_type ? "\"" + *first_type + "\"" : std::string("no Content-Type")) + ".",
                                  "Content-Type");
    }
    auto statements = parse_json_text(first.body);
    if (!statements) return statements.error();
    StatementsBody out{std::move(statements).value(), true, {}};
    out.attachment_parts.assign(std::make_move_iterator(parts->begin() + 1), std::make_move_iterator(parts->end()));
    return out;
  }
  if (!is_json(content_type)) {
    return core::Error::invalid("Send statements as application/json or multipart/mixed; got Content-Type \"" +
                                    content_type + "\".",
                                "Content-Type");
  }
  auto statements = parse_json_text(req.body);
  if (!statements) return statements.error();
  return StatementsBody{std::move(statements).value(), false, {}};
}

// The sha2 of every attachment of the statements (theirs and their SubStatements'), each once, in order.
std::vector<std::string> attachment_hashes(const std::vector<const std::string*>& statements) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const auto collect = [&](const json& s) {
    if (!s.is_object() || !s.contains("attachments") || !s["attachments"].is_array()) return;
    for (const auto& a : s["attachments"]) {
      const std::string sha2 = xapi::to_lower(a.value("sha2", ""));
      if (!sha2.empty() && seen.insert(sha2).second) out.push_back(sha2);
    }
  };
  for (const auto* text : statements) {
    const json s = json::parse(*text, nullptr, false);
    collect(s);
    if (s.is_object() && s.contains("object")) collect(s["object"]);
  }
  return out;
}

// GET ?attachments=true (Communication 2.1.3): multipart/mixed with the JSON result first, then one part
// per distinct attachment whose data the LRS holds (attachments sent with a fileUrl only have none).
void send_with_attachments(httplib::Response& res, PgStatementStore& reader, const std::string& tenant,
                           std::string result, const std::vector<const std::string*>& statements,
                           const std::string& trace_id) {
  std::vector<xapi::MultipartPart> parts;
  parts.push_back({{{"Content-Type", "application/json"}}, std::move(result)});
  const auto hashes = attachment_hashes(statements);
  auto rows = reader.attachments(tenant, hashes);
  std::map<std::string, AttachmentRow*> by_hash;
  for (auto& row : rows) by_hash[row.sha2] = &row;
  for (const auto& sha2 : hashes) {
    const auto it = by_hash.find(sha2);
    if (it == by_hash.end()) continue;
    parts.push_back({{{"Content-Type", it->second->content_type},
                      {"Content-Transfer-Encoding", "binary"},
                      {"X-Experience-API-Hash", sha2}},
                     std::move(it->second->content)});
  }
  // A boundary that occurs in no part (attachments are arbitrary octets).
  std::string boundary = "xapi-" + trace_id;
  const auto occurs = [&] {
    return std::any_of(parts.begin(), parts.end(),
                       [&](const xapi::MultipartPart& p) { return p.body.find(boundary) != std::string::npos; });
  };
  while (occurs()) boundary += "-" + std::to_string(boundary.size());
  res.status = 200;
  res.set_content(xapi::write_multipart(boundary, parts), "multipart/mixed; boundary=" + boundary);
}

std::string hex_encode(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  const auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = value(text[i]), lo = value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// A stored statement in the requested format, as answered to the request's version (xapi::as_answered:
// context activities as arrays, 2.0 timestamps in UTC; the exact format re-serialises only when that
// changes something).
std::string formatted(const std::string& stored, const std::string& format, const std::vector<std::string>& languages,
                      xapi::Version version) {
  if (format != "ids" && format != "canonical") return xapi::as_answered(stored, version);
  json statement = json::parse(stored);
  xapi::normalise_for_answer(statement, version);
  if (format == "ids") return xapi::ids_format(statement).dump();
  return xapi::canonical_format(statement, languages).dump();
}

const std::set<std::string, std::less<>> kGetParameters = {
    "statementId", "voidedStatementId", "agent", "verb", "activity", "registration", "related_activities",
    "related_agents", "since", "until", "limit", "format", "attachments", "ascending", "more"};

// The parameters of a statement query, from the request or from a `more` cursor (which carries the
// original parameters plus the position after the last statement of the previous page).
core::Result<StatementQuery> parse_query(const std::map<std::string, std::string>& params, xapi::Version version,
                                         const std::string& tenant, std::size_t max_limit) {
  StatementQuery q;
  q.tenant = tenant;
  q.limit = max_limit;
  const auto get = [&](const char* name) -> std::optional<std::string> {
    const auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return it->second;
  };
  if (auto agent = get("agent")) {
    const auto text = parse_json_text(*agent);
    const json parsed = text ? *text : json();
    if (!text) return core::Error::invalid("The agent parameter: " + text.error().message, "agent");
    if (!parsed.is_object()) return core::Error::invalid("agent must be an Agent or Group as JSON.", "agent");
    // Judge it with the statement rules by putting it where an actor goes.
    const json probe = {{"actor", parsed}, {"verb", {{"id", "http://example.com/v"}}}, {"object", {{"id", "http://example.com/o"}}}};
    if (auto valid = xapi::validate_statement(probe, {version}); !valid) {
      std::string message = valid.error().message;
      if (message.rfind("actor", 0) == 0) message.replace(0, 5, "agent");
      return core::Error::invalid(message, "agent");
    }
    q.agent_key = xapi::actor_key(parsed);
  }
  if (auto verb = get("verb")) {
    if (!xapi::is_iri(*verb)) return core::Error::invalid("verb must be an IRI; got \"" + *verb + "\".", "verb");
    q.verb_id = *verb;
  }
  if (auto activity = get("activity")) {
    if (!xapi::is_iri(*activity)) {
      return core::Error::invalid("activity must be an IRI; got \"" + *activity + "\".", "activity");
    }
    q.activity_id = *activity;
  }
  if (auto registration = get("registration")) {
    if (!core::is_uuid(*registration)) {
      return core::Error::invalid("registration must be a UUID; got \"" + *registration + "\".", "registration");
    }
    q.registration = xapi::to_lower(*registration);
  }
  for (const char* name : {"since", "until"}) {
    if (auto value = get(name)) {
      const auto t = xapi::parse_timestamp(*value, version);
      if (!t) return core::Error::invalid(std::string(name) + " must be a timestamp; got \"" + *value + "\".", name);
      (std::string_view(name) == "since" ? q.since : q.until) = *t;
    }
  }
  if (auto limit = get("limit")) {
    std::size_t n = 0;
    bool digits = !limit->empty() && limit->size() < 10;
    for (char c : *limit) digits = digits && c >= '0' && c <= '9';
    if (!digits) return core::Error::invalid("limit must be a non-negative integer; got \"" + *limit + "\".", "limit");
    n = static_cast<std::size_t>(std::stoul(*limit));
    q.limit = n == 0 ? max_limit : std::min(n, max_limit);
  }
  for (const char* name : {"ascending", "related_activities", "related_agents", "attachments"}) {
    if (auto value = get(name); value && *value != "true" && *value != "false") {
      return core::Error::invalid(std::string(name) + " must be true or false; got \"" + *value + "\".", name);
    }
  }
  q.ascending = get("ascending").value_or("false") == "true";
  q.related_agents = get("related_agents").value_or("false") == "true";
  q.related_activities = get("related_activities").value_or("false") == "true";
  if (auto format = get("format"); format && *format != "exact" && *format != "ids" && *format != "canonical") {
    return core::Error::invalid("format must be ids, exact or canonical; got \"" + *format + "\".", "format");
  }
  return q;
}

}  // namespace

void add_xapi_routes(httplib::Server& server, xapi::StoreStatements& store, core::IdGenerator& ids,
                     XapiRouteSettings settings) {
  if (!settings.consistent_through) {
    settings.consistent_through = [] { return core::Timestamp{}; };
  }
  auto shared = std::make_shared<XapiRouteSettings>(std::move(settings));

  // Everything a Statements request shares, plus the Consistent-Through header every statements
  // response carries. Answers the error itself and returns nullopt when the request cannot go on.
  auto prepare = [shared, &ids](const httplib::Request& req,
                                httplib::Response& res) -> std::optional<XapiRequestContext> {
    res.set_header(kConsistentHeader, xapi::format_timestamp(shared->consistent_through()));
    return prepare_xapi_request(req, res, shared->authentication, ids);
  };

  auto write = [prepare, &store](const httplib::Request& req, httplib::Response& res, bool is_put) {
    auto prepared = prepare(req, res);
    if (!prepared) return;
    core::log::TraceScope trace_scope(prepared->trace_id);
    const auto parameters = is_put ? check_parameters(req, {"statementId"}, "PUT /xapi/statements")
                                   : check_parameters(req, {}, "POST /xapi/statements");
    if (!parameters) {
      send_error(res, parameters.error());
      return;
    }
    std::optional<std::string> statement_id;
    if (is_put) {
      if (!req.has_param("statementId")) {
        send_error(res, core::Error::invalid("PUT /statements requires the statementId parameter.", "statementId"));
        return;
      }
      statement_id = req.get_param_value("statementId");
    }
    auto body = parse_body(req);
    if (!body) {
      send_error(res, body.error());
      return;
    }
    xapi::StoreRequest request{prepared->caller.tenant,
                               xapi::authority_for(prepared->caller.tenant, prepared->caller.principal),
                               prepared->version,
                               prepared->version_text,
                               statement_id,
                               std::move(body->statements),
                               prepared->trace_id,
                               body->multipart,
                               std::move(body->attachment_parts)};
    const auto result = store.execute(request);
    if (!result) {
      core::log::info("statements refused", {{"tenant", prepared->caller.tenant},
                                             {"status", http_status(result.error().code)},
                                             {"message", result.error().message}});
      send_error(res, result.error());
      return;
    }
    core::log::info("statements stored", {{"tenant", prepared->caller.tenant},
                                          {"statements", result->ids.size()},
                                          {"published", result->published},
                                          {"unchanged", result->unchanged}});
    if (is_put) {
      res.status = 204;
      return;
    }
    res.status = 200;
    res.set_content(json(result->ids).dump(), "application/json");
  };

  const auto read = [prepare, shared](const httplib::Request& req, httplib::Response& res) {
    {
      auto prepared = prepare(req, res);
      if (!prepared) return;
      core::log::TraceScope trace_scope(prepared->trace_id);
      std::map<std::string, std::string> params;
      for (const auto& [name, value] : req.params) {
        if (!kGetParameters.contains(name)) {
          send_error(res, core::Error::invalid("Unknown parameter \"" + name + "\" for GET /statements.", name));
          return;
        }
        if (params.contains(name)) {
          send_error(res, core::Error::invalid("Parameter \"" + name + "\" is given more than once.", name));
          return;
        }
        params[name] = value;
      }
      try {
        const bool by_id = params.contains("statementId");
        const bool by_voided = params.contains("voidedStatementId");
        if (by_id || by_voided) {
          if (by_id && by_voided) {
            send_error(res, core::Error::invalid("Use statementId or voidedStatementId, not both.", "voidedStatementId"));
            return;
          }
          for (const auto& [name, value] : params) {
            if (name != "statementId" && name != "voidedStatementId" && name != "format" && name != "attachments") {
              send_error(res, core::Error::invalid("Parameter \"" + name +
                                                       "\" cannot be combined with statementId or voidedStatementId.",
                                                   name));
              return;
            }
          }
          if (auto checked = parse_query(params, prepared->version, prepared->caller.tenant, 1); !checked) {
            send_error(res, checked.error());
            return;
          }
          const std::string name = by_id ? "statementId" : "voidedStatementId";
          const std::string id = params[name];
          if (!core::is_uuid(id)) {
            send_error(res, core::Error::invalid(name + " must be a UUID; got \"" + id + "\".", name));
            return;
          }
          const auto found = shared->reader->find(prepared->caller.tenant, xapi::to_lower(id));
          if (!found || found->voided != by_voided) {
            send_error(res, core::Error::not_found(
                                found ? (by_id ? "Statement " + id + " is voided; fetch it with voidedStatementId."
                                               : "Statement " + id + " is not voided; fetch it with statementId.")
                                      : "No statement " + id + "."));
            return;
          }
          res.set_header("Last-Modified", http::imf_fixdate(found->stored));
          std::string body = formatted(found->statement, params.count("format") ? params["format"] : "exact",
                                       xapi::accepted_languages(req.get_header_value("Accept-Language")),
                                       prepared->version);
          if (params.count("attachments") && params["attachments"] == "true") {
            send_with_attachments(res, *shared->reader, prepared->caller.tenant, std::move(body), {&found->statement},
                                  prepared->trace_id);
            return;
          }
          res.status = 200;
          res.set_content(body, "application/json");
          return;
        }
        // A query, or the next page of one.
        json cursor;
        if (params.contains("more")) {
          const auto decoded = hex_decode(params["more"]);
          if (decoded) cursor = json::parse(*decoded, nullptr, false);
          if (!cursor.is_object() || !cursor.contains("p") || cursor.value("t", "") != prepared->caller.tenant) {
            send_error(res, core::Error::invalid("more is not a cursor this LRS gave out.", "more"));
            return;
          }
          params = cursor["p"].get<std::map<std::string, std::string>>();
        }
        auto query = parse_query(params, prepared->version, prepared->caller.tenant, shared->max_query_limit);
        if (!query) {
          send_error(res, query.error());
          return;
        }
        if (cursor.contains("s")) {
          query->after = std::make_pair(core::Timestamp(std::chrono::microseconds(cursor["s"].get<std::int64_t>())),
                                        cursor["i"].get<std::string>());
        }
        auto rows = shared->reader->query(*query);
        std::string more;
        if (rows.size() > query->limit) {
          rows.resize(query->limit);
          const json next = {{"t", prepared->caller.tenant},
                             {"p", params},
                             {"s", rows.back().stored.time_since_epoch().count()},
                             {"i", rows.back().statement_id}};
          more = "/xapi/statements?more=" + hex_encode(next.dump());
        }
        const std::string format = params.count("format") ? params["format"] : "exact";
        const auto languages = xapi::accepted_languages(req.get_header_value("Accept-Language"));
        std::string body = "{\"statements\":[";
        core::Timestamp latest{};
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (i > 0) body += ",";
          body += formatted(rows[i].statement, format, languages, prepared->version);
          latest = std::max(latest, rows[i].stored);
        }
        body += "],\"more\":" + json(more).dump() + "}";
        if (!rows.empty()) res.set_header("Last-Modified", http::imf_fixdate(latest));
        if (params.count("attachments") && params["attachments"] == "true") {
          std::vector<const std::string*> statements;
          for (const auto& row : rows) statements.push_back(&row.statement);
          send_with_attachments(res, *shared->reader, prepared->caller.tenant, std::move(body), statements,
                                prepared->trace_id);
          return;
        }
        res.status = 200;
        res.set_content(body, "application/json");
      } catch (const std::exception& e) {
        core::log::error("statement query failed", {{"error", e.what()}});
        send_error(res, core::Error::unavailable("The statement store is unavailable; retry later."));
      }
    }
  };
  if (shared->reader != nullptr) server.Get("/xapi/statements", read);

  // The 1.0.3 alternate request syntax (Communication 1.3): POST ?method=<verb> with the headers,
  // parameters and `content` as form fields, for clients that cannot send other methods or headers.
  // xAPI 2.0 removed it.
  const auto alternate = [write, read, shared](const httplib::Request& req, httplib::Response& res) {
    auto alternate_request = alternate_syntax_request(req, res);
    if (!alternate_request) {
      ensure_version_header(req, res);
      send_error(res, alternate_request.error());
      return;
    }
    httplib::Request inner = std::move(alternate_request).value();
    // The Content-Type form field only SHOULD* name the content's type, and the content of a Statements
    // request is statements ("Storing binary data is not supported with this syntax"): JSON when unnamed.
    if (!inner.body.empty() && !inner.has_header("Content-Type")) inner.headers.emplace("Content-Type", "application/json");
    const std::string& method = inner.method;
    if (method == "PUT") {
      write(inner, res, true);
    } else if (method == "POST") {
      write(inner, res, false);
    } else if (method == "GET" && shared->reader != nullptr) {
      read(inner, res);
    } else if (method == "HEAD" && shared->reader != nullptr) {
      read(inner, res);
      res.body.clear();
    } else {
      ensure_version_header(inner, res);
      send_error(res, core::Error::invalid("method must be GET, HEAD, PUT or POST for /statements; got \"" + method +
                                               "\".",
                                           "method"));
    }
  };

  server.Put("/xapi/statements", [write](const httplib::Request& req, httplib::Response& res) { write(req, res, true); });
  server.Post("/xapi/statements", [write, alternate](const httplib::Request& req, httplib::Response& res) {
    // `method` is read exactly as the gateway read it to decide read or write (libs/http): from the
    // query string alone, and refused when given more than once however it is encoded.
    const auto method = http::alternate_method(req);
    if (method.kind == http::AlternateMethod::Kind::kAbsent) {
      write(req, res, false);
      return;
    }
    if (method.kind == http::AlternateMethod::Kind::kRepeated) {
      ensure_version_header(req, res);
      send_error(res, core::Error::invalid("The `method` parameter is given more than once; give it exactly once.",
                                           "method"));
      return;
    }
    // Only `method` may be in the query string; everything else travels in the form.
    for (const auto& [name, value] : http::query_parameters(req)) {
      if (name != "method") {
        ensure_version_header(req, res);
        send_error(res, core::Error::invalid("With the alternate request syntax only `method` may be in the "
                                             "query string; put \"" + name + "\" in the form.", name));
        return;
      }
    }
    alternate(req, res);
  });
  const auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    ensure_version_header(req, res);
    res.set_header("Allow", "GET, HEAD, PUT, POST");
    send_error(res, core::Error{core::ErrorCode::kInvalidArgument, "Method not allowed on /xapi/statements.", {}});
    res.status = 405;
  };
  server.Delete("/xapi/statements", not_allowed);
  server.Patch("/xapi/statements", not_allowed);

  // About: the versions this LRS speaks. No version header and no credentials needed (Communication 2.8).
  server.Get("/xapi/about", [](const httplib::Request&, httplib::Response& res) {
    // The latest version spoken, whatever the request says (About is how a client finds the versions).
    res.set_header(kVersionHeader, "2.0.0");
    res.status = 200;
    res.set_content(json{{"version", {"1.0.3", "2.0.0"}}, {"extensions", json::object()}}.dump(), "application/json");
  });
  const auto about_not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    ensure_version_header(req, res);
    res.set_header("Allow", "GET, HEAD");
    send_error(res, core::Error::invalid("Method not allowed on /xapi/about.", {}));
    res.status = 405;
  };
  server.Put("/xapi/about", about_not_allowed);
  server.Post("/xapi/about", about_not_allowed);
  server.Delete("/xapi/about", about_not_allowed);
}

}  // namespace edfleet::ingest
