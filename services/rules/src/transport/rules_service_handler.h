// RulesService over gRPC: rule management per tenant (the tenant comes only from the
// x-edfleet-tenant metadata the gateway sets), validation with line:column diagnostics, backtests
// over the recorded events, and the built-in rule packs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "domain/engine.h"
#include "edfleet/core/clock.h"
#include "edfleet/rules/v1/rules.grpc.pb.h"
#include "ports/rule_repository.h"

namespace edfleet::rules {

// Reads the recorded events for a backtest: calls `record(partition, serialized event)` for each.
using EventScan = std::function<std::uint64_t(const std::function<void(std::int32_t, std::string_view)>& record)>;

class RulesServiceHandler final : public v1::RulesService::Service {
 public:
  RulesServiceHandler(RuleRepository& repository, TimeZoneCheck zones, EventScan scan, EngineOptions engine_options);

  ::grpc::Status CreateRule(::grpc::ServerContext* context, const v1::CreateRuleRequest* request,
                            v1::Rule* response) override;
  ::grpc::Status UpdateRule(::grpc::ServerContext* context, const v1::UpdateRuleRequest* request,
                            v1::Rule* response) override;
  ::grpc::Status EnableRule(::grpc::ServerContext* context, const v1::RuleRef* request, v1::Rule* response) override;
  ::grpc::Status DisableRule(::grpc::ServerContext* context, const v1::RuleRef* request, v1::Rule* response) override;
  ::grpc::Status DeleteRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                            v1::DeleteRuleResponse* response) override;
  ::grpc::Status GetRule(::grpc::ServerContext* context, const v1::RuleRef* request, v1::Rule* response) override;
  ::grpc::Status ListRules(::grpc::ServerContext* context, const v1::ListRulesRequest* request,
                           v1::ListRulesResponse* response) override;
  ::grpc::Status ValidateRule(::grpc::ServerContext* context, const v1::ValidateRuleRequest* request,
                              v1::ValidateRuleResponse* response) override;
  ::grpc::Status Backtest(::grpc::ServerContext* context, const v1::BacktestRequest* request,
                          v1::BacktestResponse* response) override;
  ::grpc::Status InstallRulePack(::grpc::ServerContext* context, const v1::InstallRulePackRequest* request,
                                 v1::ListRulesResponse* response) override;

 private:
  template <typename Body>
  ::grpc::Status guarded(::grpc::ServerContext* context, Body&& body);

  RuleRepository& repository_;
  TimeZoneCheck zones_;
  EventScan scan_;
  EngineOptions engine_options_;
};

}  // namespace edfleet::rules
