#include "transport/xapi_document_routes.h"

#include "edfleet/http/alternate_syntax.h"

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/pg_document_store.h"
#include "domain/xapi/statement_form.h"
#include "edfleet/core/log.h"
#include "transport/xapi_http.h"

namespace edfleet::ingest {
namespace {

using nlohmann::json;
using xapi::DocumentKind;
using xapi::DocumentMethod;

// The query string's parameters only: httplib also adds the fields of a form-encoded body to
// req.params, but a document sent as application/x-www-form-urlencoded is content, not parameters.
using http::query_parameters;

xapi::Preconditions preconditions_of(const httplib::Request& req, xapi::Version version) {
  xapi::Preconditions p;
  p.version = version;
  if (req.has_header("If-Match")) p.if_match = req.get_header_value("If-Match");
  if (req.has_header("If-None-Match")) p.if_none_match = req.get_header_value("If-None-Match");
  return p;
}

xapi::IncomingDocument incoming_of(const httplib::Request& req) {
  // Stored and answered as given; a document without a type is just bytes.
  std::string type = req.get_header_value("Content-Type");
  if (type.empty()) type = "application/octet-stream";
  return {req.body, std::move(type)};
}

// A JSON answer to a GET, with the ETag of exactly the bytes sent.
void send_json(httplib::Response& res, const std::string& body) {
  res.set_header("ETag", xapi::quoted_etag(document_etag(body)));
  res.status = 200;
  res.set_content(body, "application/json");
}

void send_not_allowed(httplib::Response& res, const std::string& path, const char* allow) {
  res.set_header("Allow", allow);
  send_error(res, core::Error::invalid("Method not allowed on " + path + "; allowed: " + allow + ".", {}));
  res.status = 405;
}

// Runs `body` for a prepared request, answering 503 when the store fails (a write is one transaction:
// retrying the same request is safe).
template <typename Fn>
void guarded(httplib::Response& res, const char* what, Fn&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    core::log::error("xAPI document request failed", {{"resource", what}, {"error", e.what()}});
    send_error(res, core::Error::unavailable("The document store is unavailable; retry the request later."));
  }
}

void handle_document(const httplib::Request& req, httplib::Response& res, DocumentKind kind, DocumentMethod method,
                     xapi::DocumentService& documents, const XapiDocumentRouteSettings& settings,
                     core::IdGenerator& ids) {
  auto prepared = prepare_xapi_request(req, res, settings.authentication, ids);
  if (!prepared) return;
  core::log::TraceScope trace_scope(prepared->trace_id);
  auto target = xapi::parse_document_target(kind, method, query_parameters(req), prepared->caller.tenant,
                                            prepared->version);
  if (!target) {
    send_error(res, target.error());
    return;
  }
  guarded(res, std::string(xapi::document_resource(kind)).c_str(), [&] {
    core::Result<void> done;
    if (!target->id) {
      if (method == DocumentMethod::kDelete) {
        documents.remove_all(target->scope);
        res.status = 204;
        return;
      }
      const auto entries = documents.list(target->scope, target->since);
      json body = json::array();
      core::Timestamp latest{};
      for (const auto& entry : entries) {
        body.push_back(entry.id);
        latest = std::max(latest, entry.updated);
      }
      // Communication 2.2, Last Modified: for several documents, when the most recent one was modified.
      if (!entries.empty()) res.set_header("Last-Modified", http::imf_fixdate(latest));
      send_json(res, body.dump());
      return;
    }
    const xapi::DocumentKey key{target->scope, *target->id};
    const xapi::Preconditions preconditions = preconditions_of(req, prepared->version);
    switch (method) {
      case DocumentMethod::kGet: {
        auto document = documents.get(key);
        if (!document) {
          send_error(res, document.error());
          return;
        }
        res.set_header("ETag", xapi::quoted_etag(document->etag));
        res.set_header("Last-Modified", http::imf_fixdate(document->updated));
        // If-None-Match on a GET that matches: the client's copy is current (RFC 7232 3.2, 304).
        if (preconditions.if_none_match &&
            !xapi::check_preconditions(kind, DocumentMethod::kGet, {std::nullopt, preconditions.if_none_match},
                                       &*document)) {
          res.status = 304;
          return;
        }
        res.status = 200;
        res.set_content(document->content, document->content_type);
        return;
      }
      case DocumentMethod::kPut: done = documents.put(key, incoming_of(req), preconditions); break;
      case DocumentMethod::kPost: done = documents.post(key, incoming_of(req), preconditions); break;
      case DocumentMethod::kDelete: done = documents.remove(key, preconditions); break;
    }
    if (!done) {
      core::log::info("xAPI document refused", {{"tenant", prepared->caller.tenant},
                                                {"resource", std::string(xapi::document_resource(kind))},
                                                {"status", http_status(done.error().code)},
                                                {"message", done.error().message}});
      send_error(res, done.error());
      return;
    }
    res.status = 204;
  });
}

// Waits until every statement stored before `asked_at` is materialised (Consistent-Through reaches it),
// or `longest` has passed (e.g. while a restarted process is still catching up): the Agents and
// Activities answers are built from the materialised statements.
void wait_for_statements(const XapiDocumentRouteSettings& settings, core::Timestamp asked_at) {
  if (!settings.consistent_through) return;
  const auto deadline = std::chrono::steady_clock::now() + settings.statements_wait;
  while (settings.consistent_through() < asked_at && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// The only parameter of /xapi/agents and /xapi/activities, checked like the document parameters.
core::Result<std::string> single_parameter(const httplib::Request& req, const std::string& name,
                                           const std::string& path) {
  const auto params = query_parameters(req);
  for (const auto& [key, value] : params) {
    if (key != name) return core::Error::invalid("Unknown parameter \"" + key + "\" for GET " + path + ".", key);
  }
  if (params.count(name) > 1) return core::Error::invalid("Parameter \"" + name + "\" is given more than once.", name);
  if (params.empty()) return core::Error::invalid("GET " + path + " requires the " + name + " parameter.", name);
  return params.begin()->second;
}

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// The 1.0.3 alternate request syntax (Communication 1.3): POST ?method=<method> with the header
// parameters, the query parameters and the `content` as form fields. Answers the request it stands for
// through `handler_for` (nullptr: the resource does not take that method).
void serve_alternate(const httplib::Request& req, httplib::Response& res, const std::string& path,
                     const std::function<const Handler*(const std::string& method)>& handler_for) {
  const auto refuse = [&req, &res](const std::string& message, const std::string& field) {
    ensure_version_header(req, res);
    send_error(res, core::Error::invalid(message, field));
  };
  const auto query = query_parameters(req);
  for (const auto& [name, value] : query) {
    if (name != "method") {
      return refuse("With the alternate request syntax only `method` may be in the query string; send \"" + name +
                        "\" as a form field.",
                    name);
    }
  }
  // Read exactly as the gateway read it to decide read or write (libs/http).
  const auto alternate = http::alternate_method(query);
  if (alternate.kind == http::AlternateMethod::Kind::kRepeated) {
    return refuse("The `method` parameter is given more than once; give it exactly once.", "method");
  }
  const std::string method = alternate.value;
  if (!req.get_header_value("Content-Type").starts_with("application/x-www-form-urlencoded")) {
    return refuse("The alternate request syntax (?method=) is a form: send Content-Type "
                  "application/x-www-form-urlencoded.",
                  "Content-Type");
  }
  auto alternate_request = alternate_syntax_request(req, res);
  if (!alternate_request) return refuse(alternate_request.error().message, alternate_request.error().field);
  const httplib::Request& inner = *alternate_request;
  const Handler* handler = handler_for(method);
  if (handler == nullptr) return refuse("method \"" + method + "\" is not one " + path + " takes.", "method");
  (*handler)(inner, res);
  if (method == "HEAD") res.body.clear();
}

}  // namespace

void add_xapi_document_routes(httplib::Server& server, xapi::DocumentService& documents, core::IdGenerator& ids,
                              XapiDocumentRouteSettings settings) {
  auto shared = std::make_shared<XapiDocumentRouteSettings>(std::move(settings));
  const std::pair<const char*, DocumentKind> resources[] = {{"/xapi/activities/state", DocumentKind::kState},
                                                            {"/xapi/activities/profile", DocumentKind::kActivityProfile},
                                                            {"/xapi/agents/profile", DocumentKind::kAgentProfile}};
  for (const auto& [path, kind] : resources) {
    const auto route = [&documents, &ids, shared, kind = kind](DocumentMethod method) {
      return [&documents, &ids, shared, kind, method](const httplib::Request& req, httplib::Response& res) {
        handle_document(req, res, kind, method, documents, *shared, ids);
      };
    };
    const std::map<std::string, Handler> handlers = {{"GET", route(DocumentMethod::kGet)},
                                                     {"HEAD", route(DocumentMethod::kGet)},
                                                     {"PUT", route(DocumentMethod::kPut)},
                                                     {"POST", route(DocumentMethod::kPost)},
                                                     {"DELETE", route(DocumentMethod::kDelete)}};
    server.Get(path, handlers.at("GET"));
    server.Put(path, handlers.at("PUT"));
    server.Delete(path, handlers.at("DELETE"));
    server.Post(path, [handlers, path = std::string(path)](const httplib::Request& req, httplib::Response& res) {
      if (!query_parameters(req).contains("method")) return handlers.at("POST")(req, res);
      serve_alternate(req, res, path, [&handlers](const std::string& method) -> const Handler* {
        const auto it = handlers.find(method);
        return it == handlers.end() ? nullptr : &it->second;
      });
    });
    server.Patch(path, [path = std::string(path)](const httplib::Request& req, httplib::Response& res) {
      ensure_version_header(req, res);
      send_not_allowed(res, path, "GET, HEAD, PUT, POST, DELETE");
    });
  }

  // GET of a resource that takes exactly one parameter: `answer` gets its checked value and the tenant.
  const auto lookup = [&ids, shared](const std::string& path, const std::string& name, auto answer) {
    return [&ids, shared, path, name, answer](const httplib::Request& req, httplib::Response& res) {
      auto prepared = prepare_xapi_request(req, res, shared->authentication, ids);
      if (!prepared) return;
      core::log::TraceScope trace_scope(prepared->trace_id);
      auto value = single_parameter(req, name, path);
      if (!value) return send_error(res, value.error());
      wait_for_statements(*shared, core::SystemClock::instance().now());
      guarded(res, path.c_str(), [&] {
        auto body = answer(*value, *prepared);
        if (!body) return send_error(res, body.error());
        send_json(res, body->dump());
      });
    };
  };

  // Agents (Communication 2.4): the Person object of an Agent, from the agent itself and the names the
  // stored statements give it.
  const Handler agents = lookup("/agents", "agent", [shared](const std::string& text, const XapiRequestContext& ctx)
                                        -> core::Result<json> {
    auto agent = xapi::parse_agent_parameter(text, ctx.version);
    if (!agent) return agent.error();
    std::vector<std::string> names;
    if (shared->catalog != nullptr) names = shared->catalog->agent_names(ctx.caller.tenant, xapi::actor_key(*agent));
    return xapi::person_object(*agent, names);
  });

  // Activities (Communication 2.5): the Activity with the definitions the stored statements give it.
  const Handler activities = lookup("/activities", "activityId", [shared](const std::string& id,
                                                                             const XapiRequestContext& ctx)
                                            -> core::Result<json> {
    if (!xapi::is_iri(id)) return core::Error::invalid("activityId must be an IRI; got \"" + id + "\".", "activityId");
    std::vector<json> statements;
    if (shared->catalog != nullptr) statements = shared->catalog->statements_about_activity(ctx.caller.tenant, id);
    return xapi::activity_object(id, statements);
  });

  for (const auto& [path, handler] : {std::pair{std::string("/xapi/agents"), agents},
                                      std::pair{std::string("/xapi/activities"), activities}}) {
    server.Get(path, handler);
    const auto not_allowed = [path = path](const httplib::Request& req, httplib::Response& res) {
      ensure_version_header(req, res);
      send_not_allowed(res, path, "GET, HEAD");
    };
    server.Put(path, not_allowed);
    server.Delete(path, not_allowed);
    server.Patch(path, not_allowed);
    server.Post(path, [path = path, handler = handler, not_allowed](const httplib::Request& req, httplib::Response& res) {
      if (!query_parameters(req).contains("method")) return not_allowed(req, res);
      serve_alternate(req, res, path, [&handler](const std::string& method) -> const Handler* {
        return method == "GET" || method == "HEAD" ? &handler : nullptr;
      });
    });
  }
}

}  // namespace edfleet::ingest
