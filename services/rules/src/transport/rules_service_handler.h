// RulesService over gRPC. Until issue #6 delivers the rules engine, every method answers
// UNIMPLEMENTED with a message naming that issue, so callers get a clear answer, not a guess.
#pragma once

#include "edfleet/rules/v1/rules.grpc.pb.h"

namespace edfleet::rules {

class RulesServiceHandler final : public v1::RulesService::Service {
 public:
  ::grpc::Status CreateRule(::grpc::ServerContext* context, const v1::CreateRuleRequest* request,
                            v1::Rule* response) override;
  ::grpc::Status UpdateRule(::grpc::ServerContext* context, const v1::UpdateRuleRequest* request,
                            v1::Rule* response) override;
  ::grpc::Status EnableRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                            v1::Rule* response) override;
  ::grpc::Status DisableRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                             v1::Rule* response) override;
  ::grpc::Status DeleteRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                            v1::DeleteRuleResponse* response) override;
  ::grpc::Status GetRule(::grpc::ServerContext* context, const v1::RuleRef* request,
                         v1::Rule* response) override;
  ::grpc::Status ListRules(::grpc::ServerContext* context, const v1::ListRulesRequest* request,
                           v1::ListRulesResponse* response) override;
  ::grpc::Status ValidateRule(::grpc::ServerContext* context, const v1::ValidateRuleRequest* request,
                              v1::ValidateRuleResponse* response) override;
  ::grpc::Status Backtest(::grpc::ServerContext* context, const v1::BacktestRequest* request,
                          v1::BacktestResponse* response) override;
  ::grpc::Status InstallRulePack(::grpc::ServerContext* context, const v1::InstallRulePackRequest* request,
                                 v1::ListRulesResponse* response) override;
};

}  // namespace edfleet::rules
