// `edfleet rules apply|list|install`: RulesService calls on the rules gRPC port, for one tenant.
// apply follows services/rules/README.md: ValidateRule(whole file) first (errors with the file's
// line numbers), then per rule CreateRule(enabled), or UpdateRule when the id already exists.
#include <fstream>
#include <iostream>
#include <iterator>

#include <google/protobuf/util/json_util.h>

#include "commands.h"
#include "edfleet/rules/v1/rules.grpc.pb.h"
#include "rpc.h"
#include "rule_file.h"
#include "table.h"

namespace edfleet::cli {

namespace {

using rules::v1::RulesService;

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, print).ok()) return "{}\n";
  return json;
}

void print_rules(const rules::v1::ListRulesResponse& response, bool json, std::ostream& out) {
  if (json) {
    out << to_json(response);
    return;
  }
  Table table({"ID", "VERSION", "ENABLED", "NAME"});
  table.align(1, Table::Align::kRight);
  for (const auto& rule : response.rules()) {
    table.add_row({rule.id(), std::to_string(rule.version()), rule.enabled() ? "yes" : "no", rule.name()});
  }
  out << table.render();
}

int apply(const RulesOptions& options, RulesService::Stub& stub, const ResolvedAddress& address, std::istream& in,
          std::ostream& out, std::ostream& err) {
  std::string text;
  if (options.file == "-") {
    text.assign(std::istreambuf_iterator<char>(in), {});
  } else {
    std::ifstream file(options.file, std::ios::binary);
    if (!file) {
      err << "edfleet rules apply: cannot read " << options.file << "\n";
      return kExitFailure;
    }
    text.assign(std::istreambuf_iterator<char>(file), {});
  }
  const auto rules = split_rules(text);
  if (rules.empty()) {
    err << "edfleet rules apply: " << options.file << " has no rules (a rule starts with a line `rule <id> ...`)\n";
    return kExitFailure;
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);

  rules::v1::ValidateRuleRequest validate;
  validate.set_source(text);
  rules::v1::ValidateRuleResponse validation;
  auto context = call_context(timeout, options.tenant, options.endpoints_file);
  auto status = stub.ValidateRule(context.get(), validate, &validation);
  if (!status.ok()) {
    err << "edfleet rules apply: " << describe_call_failure("rules", address, status, timeout) << "\n";
    return kExitFailure;
  }
  if (!validation.valid()) {
    for (const auto& d : validation.diagnostics()) {
      err << options.file << ":" << d.line() << ":" << d.column() << ": " << d.message() << "\n";
    }
    err << "edfleet rules apply: nothing applied\n";
    return kExitFailure;
  }

  rules::v1::ListRulesResponse applied;
  for (const auto& rule : rules) {
    rules::v1::CreateRuleRequest create;
    create.set_source(rule.source);
    create.set_enabled(true);
    rules::v1::Rule result;
    auto create_context = call_context(timeout, options.tenant, options.endpoints_file);
    status = stub.CreateRule(create_context.get(), create, &result);
    if (status.error_code() == ::grpc::StatusCode::ALREADY_EXISTS) {
      rules::v1::UpdateRuleRequest update;
      update.set_id(rule.id);
      update.set_source(rule.source);
      auto update_context = call_context(timeout, options.tenant, options.endpoints_file);
      status = stub.UpdateRule(update_context.get(), update, &result);
    }
    if (!status.ok()) {
      err << "edfleet rules apply: rule " << rule.id << " (line " << rule.first_line
          << "): " << describe_call_failure("rules", address, status, timeout) << "\n";
      return kExitFailure;
    }
    if (!options.json) out << "rule " << result.id() << " version " << result.version() << "\n";
    *applied.add_rules() = result;
  }
  if (options.json) out << to_json(applied);
  return kExitOk;
}

}  // namespace

int run_rules(const RulesOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  auto address = resolve_address("rules", options.rules, options.endpoints_file);
  auto stub = RulesService::NewStub(open_channel(address.address));
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  // list and install both answer a ListRulesResponse, printed the same way.
  auto call_and_print = [&](const char* verb, auto method, const auto& request) {
    rules::v1::ListRulesResponse response;
    auto context = call_context(timeout, options.tenant, options.endpoints_file);
    auto status = ((*stub).*method)(context.get(), request, &response);
    if (!status.ok()) {
      err << "edfleet rules " << verb << ": " << describe_call_failure("rules", address, status, timeout) << "\n";
      return kExitFailure;
    }
    print_rules(response, options.json, out);
    return kExitOk;
  };
  switch (options.action) {
    case RulesOptions::Action::kApply:
      return apply(options, *stub, address, in, out, err);
    case RulesOptions::Action::kList: {
      rules::v1::ListRulesRequest request;
      request.set_include_disabled(options.include_disabled);
      return call_and_print("list", &RulesService::Stub::ListRules, request);
    }
    case RulesOptions::Action::kInstall: {
      rules::v1::InstallRulePackRequest request;
      request.set_pack(options.pack);
      return call_and_print("install", &RulesService::Stub::InstallRulePack, request);
    }
  }
  return kExitFailure;
}

}  // namespace edfleet::cli
