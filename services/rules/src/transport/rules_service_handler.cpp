#include "transport/rules_service_handler.h"

#include <string>

#include "domain/backtest.h"
#include "domain/packs.h"
#include "domain/parser.h"
#include "edfleet/core/log.h"
#include "edfleet/grpc/metadata.h"
#include "edfleet/grpc/status.h"
#include "transport/proto_mapping.h"

namespace edfleet::rules {

namespace {

constexpr std::size_t kMaxSourceBytes = 64 * 1024;
constexpr std::size_t kMaxBacktestActions = 10'000;

void to_proto(const StoredRule& r, v1::Rule* out) {
  out->set_id(r.id);
  out->set_version(r.version);
  out->set_name(r.name);
  out->set_source(r.source);
  out->set_enabled(r.enabled);
  auto set_time = [](google::protobuf::Timestamp* t, core::Timestamp v) {
    const auto micros = v.time_since_epoch().count();
    t->set_seconds(micros / 1'000'000);
    t->set_nanos(static_cast<int>(micros % 1'000'000) * 1000);
  };
  set_time(out->mutable_created_at(), r.created_at);
  set_time(out->mutable_updated_at(), r.updated_at);
}

struct Failed {
  ::grpc::Status status;
};

[[noreturn]] void fail(::grpc::StatusCode code, std::string message) { throw Failed{{code, std::move(message)}}; }

template <typename T>
T value_or_fail(core::Result<T> result) {
  if (!result) throw Failed{grpc::to_status(result.error())};
  return std::move(result).value();
}

// Parses and checks a text that must hold exactly one rule.
std::shared_ptr<const CompiledRule> compile_one(const std::string& source, const std::string& tenant,
                                                const TimeZoneCheck& zones) {
  if (source.size() > kMaxSourceBytes) fail(::grpc::StatusCode::INVALID_ARGUMENT, "source: the rule text is over 64 KiB");
  auto compiled = compile_text(source, tenant, 1, zones);
  if (!compiled.ok()) {
    std::string message = "source: " + format_diagnostic(compiled.errors.front());
    if (compiled.errors.size() > 1) {
      message += " (and " + std::to_string(compiled.errors.size() - 1) + " more; ValidateRule lists them all)";
    }
    fail(::grpc::StatusCode::INVALID_ARGUMENT, message);
  }
  if (compiled.rules.size() != 1) {
    fail(::grpc::StatusCode::INVALID_ARGUMENT,
         "source: the text holds " + std::to_string(compiled.rules.size()) +
             " rules; create or update them one at a time (`edfleet rules apply FILE` splits a file)");
  }
  return compiled.rules.front();
}

}  // namespace

RulesServiceHandler::RulesServiceHandler(RuleRepository& repository, TimeZoneCheck zones, EventScan scan,
                                         EngineOptions engine_options)
    : repository_(repository), zones_(std::move(zones)), scan_(std::move(scan)),
      engine_options_(std::move(engine_options)) {}

template <typename Body>
::grpc::Status RulesServiceHandler::guarded(::grpc::ServerContext* context, Body&& body) {
  // Verified by the server's identity interceptor; an unsigned or forged tenant never gets here.
  const auto tenant = grpc::caller_tenant(*context);
  if (!tenant) return grpc::to_status(tenant.error());
  try {
    body(tenant.value());
    return ::grpc::Status::OK;
  } catch (const Failed& f) {
    return f.status;
  } catch (const StoreUnavailable& e) {
    return {::grpc::StatusCode::UNAVAILABLE, std::string("the rules database is unavailable: ") + e.what()};
  } catch (const std::exception& e) {
    core::log::error("rules request failed", {{"error", e.what()}});
    return {::grpc::StatusCode::INTERNAL, e.what()};
  }
}

::grpc::Status RulesServiceHandler::CreateRule(::grpc::ServerContext* context, const v1::CreateRuleRequest* request,
                                               v1::Rule* response) {
  return guarded(context, [&](const std::string& tenant) {
    auto rule = compile_one(request->source(), tenant, zones_);
    const std::string name = !request->name().empty() ? request->name() : !rule->title.empty() ? rule->title : rule->id;
    to_proto(value_or_fail(repository_.create(tenant, rule->id, name, request->source(), request->enabled())), response);
  });
}

::grpc::Status RulesServiceHandler::UpdateRule(::grpc::ServerContext* context, const v1::UpdateRuleRequest* request,
                                               v1::Rule* response) {
  return guarded(context, [&](const std::string& tenant) {
    auto rule = compile_one(request->source(), tenant, zones_);
    if (!request->id().empty() && request->id() != rule->id) {
      fail(::grpc::StatusCode::INVALID_ARGUMENT,
           "source: the text defines rule \"" + rule->id + "\", not \"" + request->id() + "\"");
    }
    to_proto(value_or_fail(repository_.update(tenant, rule->id, request->source())), response);
  });
}

::grpc::Status RulesServiceHandler::EnableRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                                               v1::Rule* response) {
  return guarded(context, [&](const std::string& tenant) {
    to_proto(value_or_fail(repository_.set_enabled(tenant, request->id(), true)), response);
  });
}

::grpc::Status RulesServiceHandler::DisableRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                                                v1::Rule* response) {
  return guarded(context, [&](const std::string& tenant) {
    to_proto(value_or_fail(repository_.set_enabled(tenant, request->id(), false)), response);
  });
}

::grpc::Status RulesServiceHandler::DeleteRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                                               v1::DeleteRuleResponse*) {
  return guarded(context, [&](const std::string& tenant) {
    auto removed = repository_.remove(tenant, request->id());
    if (!removed) throw Failed{grpc::to_status(removed.error())};
  });
}

::grpc::Status RulesServiceHandler::GetRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                                            v1::Rule* response) {
  return guarded(context, [&](const std::string& tenant) {
    to_proto(value_or_fail(repository_.get(tenant, request->id(), request->version())), response);
  });
}

::grpc::Status RulesServiceHandler::ListRules(::grpc::ServerContext* context, const v1::ListRulesRequest* request,
                                              v1::ListRulesResponse* response) {
  return guarded(context, [&](const std::string& tenant) {
    for (const auto& r : repository_.list(tenant, request->include_disabled())) to_proto(r, response->add_rules());
  });
}

::grpc::Status RulesServiceHandler::ValidateRule(::grpc::ServerContext* context, const v1::ValidateRuleRequest* request,
                                                 v1::ValidateRuleResponse* response) {
  return guarded(context, [&](const std::string& tenant) {
    if (request->source().size() > kMaxSourceBytes) fail(::grpc::StatusCode::INVALID_ARGUMENT, "source: the rule text is over 64 KiB");
    auto compiled = compile_text(request->source(), tenant, 1, zones_);
    response->set_valid(compiled.ok());
    for (const auto& d : compiled.errors) {
      auto* out = response->add_diagnostics();
      out->set_line(d.line);
      out->set_column(d.column);
      out->set_message(d.message);
    }
  });
}

::grpc::Status RulesServiceHandler::Backtest(::grpc::ServerContext* context, const v1::BacktestRequest* request,
                                             v1::BacktestResponse* response) {
  return guarded(context, [&](const std::string& tenant) {
    if (request->source().size() > kMaxSourceBytes) fail(::grpc::StatusCode::INVALID_ARGUMENT, "source: the rule text is over 64 KiB");
    auto compiled = compile_text(request->source(), tenant, 1, zones_);
    if (!compiled.ok()) fail(::grpc::StatusCode::INVALID_ARGUMENT, "source: " + format_diagnostic(compiled.errors.front()));
    if (!request->has_from() || !request->has_to()) fail(::grpc::StatusCode::INVALID_ARGUMENT, "from and to are required");
    auto time = [](const google::protobuf::Timestamp& t) {
      return core::Timestamp{std::chrono::seconds{t.seconds()} + std::chrono::microseconds{t.nanos() / 1000}};
    };
    const auto from = time(request->from());
    const auto to = time(request->to());
    if (to < from) fail(::grpc::StatusCode::INVALID_ARGUMENT, "to: must not be before from");
    rules::Backtest backtest(compiled.rules, engine_options_, from, to);
    scan_([&](std::int32_t partition, std::string_view value) {
      auto event = parse_event(value);
      if (event) backtest.add(partition, *event);
    });
    auto actions = backtest.finish();
    response->set_events_scanned(backtest.scanned());
    for (std::size_t i = 0; i < actions.size() && i < kMaxBacktestActions; ++i) {
      *response->add_actions() = rules::to_proto(actions[i]);
    }
  });
}

::grpc::Status RulesServiceHandler::InstallRulePack(::grpc::ServerContext* context,
                                                    const v1::InstallRulePackRequest* request,
                                                    v1::ListRulesResponse* response) {
  return guarded(context, [&](const std::string& tenant) {
    auto text = pack_text(request->pack());
    if (!text) {
      std::string names;
      for (const auto& n : pack_names()) names += (names.empty() ? "" : ", ") + n;
      fail(::grpc::StatusCode::NOT_FOUND, "pack: there is no rule pack \"" + request->pack() + "\"; packs: " + names);
    }
    auto parsed = parse_rules(*text);
    if (!parsed.ok()) fail(::grpc::StatusCode::INTERNAL, "the built-in pack does not parse: " + format_diagnostic(parsed.errors[0]));
    for (const auto& ast : parsed.rules) {
      compile_one(ast.source, tenant, zones_);
      auto created = repository_.create(tenant, ast.id, ast.title.empty() ? ast.id : ast.title, ast.source, true);
      if (!created && created.error().code == core::ErrorCode::kAlreadyExists) {
        created = repository_.update(tenant, ast.id, ast.source);
      }
      to_proto(value_or_fail(std::move(created)), response->add_rules());
    }
  });
}

}  // namespace edfleet::rules
