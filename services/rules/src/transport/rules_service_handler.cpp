#include "transport/rules_service_handler.h"

#include <string>
#include <string_view>

namespace edfleet::rules {
namespace {

::grpc::Status not_yet(std::string_view method) {
  return {::grpc::StatusCode::UNIMPLEMENTED,
          std::string(v1::RulesService::service_full_name()) + "/" + std::string(method) +
              " is not implemented yet: the rules engine is delivered by issue #6"};
}

}  // namespace

::grpc::Status RulesServiceHandler::CreateRule(::grpc::ServerContext*, const v1::CreateRuleRequest*,
                                               v1::Rule*) {
  return not_yet("CreateRule");
}

::grpc::Status RulesServiceHandler::UpdateRule(::grpc::ServerContext*, const v1::UpdateRuleRequest*,
                                               v1::Rule*) {
  return not_yet("UpdateRule");
}

::grpc::Status RulesServiceHandler::EnableRule(::grpc::ServerContext*, const v1::RuleRef*,
                                               v1::Rule*) {
  return not_yet("EnableRule");
}

::grpc::Status RulesServiceHandler::DisableRule(::grpc::ServerContext*, const v1::RuleRef*,
                                                v1::Rule*) {
  return not_yet("DisableRule");
}

::grpc::Status RulesServiceHandler::DeleteRule(::grpc::ServerContext*, const v1::RuleRef*,
                                               v1::DeleteRuleResponse*) {
  return not_yet("DeleteRule");
}

::grpc::Status RulesServiceHandler::GetRule(::grpc::ServerContext*, const v1::RuleRef*,
                                            v1::Rule*) {
  return not_yet("GetRule");
}

::grpc::Status RulesServiceHandler::ListRules(::grpc::ServerContext*, const v1::ListRulesRequest*,
                                              v1::ListRulesResponse*) {
  return not_yet("ListRules");
}

::grpc::Status RulesServiceHandler::ValidateRule(::grpc::ServerContext*, const v1::ValidateRuleRequest*,
                                                 v1::ValidateRuleResponse*) {
  return not_yet("ValidateRule");
}

::grpc::Status RulesServiceHandler::Backtest(::grpc::ServerContext*, const v1::BacktestRequest*,
                                             v1::BacktestResponse*) {
  return not_yet("Backtest");
}

::grpc::Status RulesServiceHandler::InstallRulePack(::grpc::ServerContext*, const v1::InstallRulePackRequest*,
                                                    v1::ListRulesResponse*) {
  return not_yet("InstallRulePack");
}

}  // namespace edfleet::rules
