// `edfleet keys create|list|revoke`: the gateway's API keys, managed straight in its database through
// gateway::ApiKeyAdmin (the only way to mint a tenant's first admin key).
#include <iostream>

#include <nlohmann/json.hpp>

#include "api_key_admin.h"
#include "commands.h"
#include "edfleet/core/time_format.h"
#include "endpoints.h"
#include "table.h"

namespace edfleet::cli {

namespace {

// The gateway's database: --database-url, else the endpoints file of a running `edfleet up`.
core::Result<std::string> gateway_database(const KeysOptions& options) {
  if (!options.database_url.empty()) return options.database_url;
  auto endpoints = read_endpoints_file(options.endpoints_file);
  if (!endpoints.ok()) {
    return core::Error::invalid("no --database-url and no endpoints file of a running `edfleet up` (" +
                                endpoints.error().message + ")");
  }
  if (endpoints->gateway_database_url.empty()) {
    return core::Error::invalid("the endpoints file " + options.endpoints_file +
                                " has no gateway database (is the gateway running?); pass --database-url");
  }
  if (endpoints->gateway_database_url.find(":***@") != std::string::npos) {
    return core::Error::invalid("the endpoints file holds the gateway database URL without its password; pass "
                                "--database-url");
  }
  return endpoints->gateway_database_url;
}

std::string roles_text(const std::vector<std::string>& roles) {
  std::string text;
  for (const auto& role : roles) text += (text.empty() ? "" : ",") + role;
  return text;
}

nlohmann::json record_json(const gateway::ApiKeyRecord& record) {
  nlohmann::json json = {{"id", record.id},
                         {"tenant", record.tenant},
                         {"name", record.name},
                         {"roles", record.roles},
                         {"created_at", core::format_rfc3339(record.created_at)}};
  if (record.revoked_at) json["revoked_at"] = core::format_rfc3339(*record.revoked_at);
  return json;
}

}  // namespace

int run_keys(const KeysOptions& options, std::ostream& out, std::ostream& err) {
  auto url = gateway_database(options);
  if (!url.ok()) {
    err << "edfleet keys: " << url.error().message << "\n";
    return kExitFailure;
  }
  gateway::ApiKeyAdmin admin(*url);
  switch (options.action) {
    case KeysOptions::Action::kCreate: {
      auto created = admin.create(options.tenant, options.name, options.roles);
      if (!created.ok()) {
        err << "edfleet keys create: " << created.error().message << "\n";
        return kExitFailure;
      }
      if (options.json) {
        auto json = record_json(created->record);
        json["key"] = created->key;
        out << json.dump(2) << "\n";
      } else {
        out << "created key " << created->record.id << " (tenant " << created->record.tenant << ", roles "
            << roles_text(created->record.roles) << ")\n"
            << "key: " << created->key << "\n"
            << "This is the only time the key is shown; use it as `Authorization: Bearer <key>`.\n";
      }
      return kExitOk;
    }
    case KeysOptions::Action::kList: {
      auto records = admin.list(options.tenant);
      if (!records.ok()) {
        err << "edfleet keys list: " << records.error().message << "\n";
        return kExitFailure;
      }
      if (options.json) {
        nlohmann::json json = nlohmann::json::array();
        for (const auto& record : *records) json.push_back(record_json(record));
        out << json.dump(2) << "\n";
        return kExitOk;
      }
      Table table({"ID", "NAME", "ROLES", "CREATED", "REVOKED"});
      for (const auto& record : *records) {
        table.add_row({record.id, record.name, roles_text(record.roles), core::format_rfc3339(record.created_at),
                       record.revoked_at ? core::format_rfc3339(*record.revoked_at) : std::string()});
      }
      out << table.render();
      return kExitOk;
    }
    case KeysOptions::Action::kRevoke: {
      auto revoked = admin.revoke(options.id, options.tenant);
      if (!revoked.ok()) {
        err << "edfleet keys revoke: " << revoked.error().message << "\n";
        return kExitFailure;
      }
      if (options.json) {
        out << record_json(*revoked).dump(2) << "\n";
      } else {
        out << "revoked key " << revoked->id << " (" << revoked->name << ")\n";
      }
      return kExitOk;
    }
  }
  return kExitFailure;
}

}  // namespace edfleet::cli
