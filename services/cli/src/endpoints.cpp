#include "endpoints.h"

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "fleet.h"

namespace edfleet::cli {

namespace fs = std::filesystem;

const ServiceEndpoint* Endpoints::find(std::string_view name) const {
  for (const auto& service : services) {
    if (service.name == name) return &service;
  }
  return nullptr;
}

nlohmann::json to_json(const Endpoints& endpoints) {
  nlohmann::json services = nlohmann::json::object();
  for (const auto& service : endpoints.services) {
    services[service.name] = {{"grpc", service.grpc}, {"http", service.http}, {"pid", service.pid}};
    if (!service.admin.empty()) services[service.name]["admin"] = service.admin;
  }
  return {{"version", 1},
          {"pid", endpoints.pid},
          {"started_at", endpoints.started_at},
          {"kafka", {{"bootstrap_servers", endpoints.kafka_bootstrap_servers}}},
          {"postgres", {{"url", endpoints.postgres_url}, {"gateway_url", endpoints.gateway_database_url}}},
          {"internal_auth", {{"secret", endpoints.internal_auth_secret}}},
          {"services", services}};
}

core::Result<Endpoints> endpoints_from_json(const nlohmann::json& json) {
  try {
    if (!json.is_object() || json.value("version", 0) != 1) {
      return core::Error::invalid("not an edfleet endpoints file (version 1)");
    }
    Endpoints endpoints;
    endpoints.pid = json.value("pid", 0);
    endpoints.started_at = json.value("started_at", "");
    if (json.contains("kafka")) {
      endpoints.kafka_bootstrap_servers = json.at("kafka").value("bootstrap_servers", "");
    }
    if (json.contains("postgres")) {
      endpoints.postgres_url = json.at("postgres").value("url", "");
      endpoints.gateway_database_url = json.at("postgres").value("gateway_url", "");
    }
    if (json.contains("internal_auth")) endpoints.internal_auth_secret = json.at("internal_auth").value("secret", "");
    if (json.contains("services")) {
      for (const auto& [name, service] : json.at("services").items()) {
        endpoints.services.push_back({name, service.value("grpc", ""), service.value("http", ""),
                                      service.value("pid", 0), service.value("admin", "")});
      }
    }
    return endpoints;
  } catch (const nlohmann::json::exception& e) {
    return core::Error::invalid(std::string("malformed endpoints file: ") + e.what());
  }
}

core::Result<void> write_endpoints_file(const std::string& path, const Endpoints& endpoints) {
  std::error_code ec;
  fs::path target(path);
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      return core::Error::unavailable("cannot create " + target.parent_path().string() + ": " +
                                      ec.message());
    }
  }
  // Readers must never see half a file: write beside it, then rename over it.
  fs::path tmp = target;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    // It holds the internal_auth secret: readable by its owner only, before anything is written.
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    if (ec) return core::Error::unavailable("cannot restrict the permissions of " + tmp.string());
    out << to_json(endpoints).dump(2) << '\n';
    out.close();
    if (!out) return core::Error::unavailable("cannot write " + tmp.string());
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return core::Error::unavailable("cannot write " + path);
  }
  return {};
}

core::Result<std::string> internal_auth_secret(const std::string& endpoints_file) {
  if (const char* secret = std::getenv("EDFLEET_INTERNAL_AUTH_SECRET"); secret != nullptr && *secret != '\0') {
    return std::string(secret);
  }
  auto endpoints = read_endpoints_file(endpoints_file);
  if (endpoints.ok() && !endpoints->internal_auth_secret.empty()) return endpoints->internal_auth_secret;
  return core::Error::not_found(
      "no internal_auth secret to sign with: run against a fleet started by `edfleet up` (its endpoints file " +
      endpoints_file + " holds it) or set EDFLEET_INTERNAL_AUTH_SECRET to the fleet's internal_auth.secret");
}

core::Result<Endpoints> read_endpoints_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return core::Error::not_found("no endpoints file at " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return core::Error::invalid(path + " is not valid JSON");
  auto endpoints = endpoints_from_json(json);
  if (!endpoints.ok()) return core::Error::invalid(path + ": " + endpoints.error().message);
  return endpoints;
}

std::string endpoints_path(const std::string& explicit_path, const std::string& data_dir) {
  if (!explicit_path.empty()) return explicit_path;
  if (!data_dir.empty()) return (fs::path(data_dir) / "endpoints.json").string();
  return (fs::path(".edfleet") / "endpoints.json").string();
}

ResolvedAddress resolve_address(std::string_view service, const std::string& override_address,
                                const std::string& endpoints_file) {
  if (!override_address.empty()) {
    return {override_address, "--" + std::string(service)};
  }
  auto endpoints = read_endpoints_file(endpoints_file);
  if (endpoints.ok()) {
    if (const auto* entry = endpoints->find(service); entry != nullptr && !entry->grpc.empty()) {
      return {entry->grpc, "endpoints file " + endpoints_file};
    }
  }
  const auto* spec = find_service(service);
  int port = spec != nullptr ? spec->default_grpc_port : 0;
  return {"127.0.0.1:" + std::to_string(port), "default port"};
}

}  // namespace edfleet::cli
