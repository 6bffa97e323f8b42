#include "domain/jwt.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "domain/access_policy.h"
#include "edfleet/core/base64.h"
#include "domain/text.h"

namespace edfleet::gateway {
namespace {

core::Error unauthenticated(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, "invalid token: " + std::move(message), {}};
}

std::optional<nlohmann::json> decode_object(std::string_view segment) {
  auto bytes = core::base64url_decode(segment);
  if (!bytes) return std::nullopt;
  auto parsed = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

// A NumericDate claim as seconds since the epoch; nullopt when absent; error text when not a number.
std::optional<double> numeric_date(const nlohmann::json& claims, const char* name, std::string& problem) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    problem = std::string(name) + " must be a number of seconds";
    return std::nullopt;
  }
  return it->get<double>();
}

}  // namespace

bool is_safe_jwt_subject(std::string_view subject) {
  return !subject.empty() && subject.size() <= kMaxJwtSubjectLength &&
         std::all_of(subject.begin(), subject.end(), [](char c) { return c >= 0x21 && c <= 0x7E; });
}

core::Result<DecodedJwt> decode_jwt(std::string_view token) {
  if (token.size() > 16384) return unauthenticated("too long");
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos ||
      token.find('.', second + 1) != std::string_view::npos) {
    return unauthenticated("a JWT has three dot-separated segments");
  }
  auto header = decode_object(token.substr(0, first));
  if (!header) return unauthenticated("the header is not a base64url JSON object");
  auto claims = decode_object(token.substr(first + 1, second - first - 1));
  if (!claims) return unauthenticated("the payload is not a base64url JSON object");
  auto signature = core::base64url_decode(token.substr(second + 1));
  if (!signature) return unauthenticated("the signature is not base64url");

  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return unauthenticated("the header has no alg");
  DecodedJwt decoded;
  decoded.header.alg = alg->get<std::string>();
  if (to_lower(decoded.header.alg) == "none") return unauthenticated("unsigned tokens (alg none) are not accepted");
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string()) return unauthenticated("kid must be a string");
    decoded.header.kid = kid->get<std::string>();
  }
  if (header->contains("crit")) return unauthenticated("critical header extensions are not supported");
  if (signature->empty()) return unauthenticated("the signature is empty");
  decoded.claims = std::move(*claims);
  decoded.signing_input = std::string(token.substr(0, second));
  decoded.signature = std::move(*signature);
  return decoded;
}

core::Result<Principal> principal_from_claims(const nlohmann::json& claims, const JwtPolicy& policy,
                                              core::Timestamp now) {
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway = static_cast<double>(policy.leeway.count());
  std::string problem;

  auto exp = numeric_date(claims, "exp", problem);
  if (!problem.empty()) return unauthenticated(problem);
  if (!exp) return unauthenticated("exp is required");
  if (now_s >= *exp + leeway) return unauthenticated("expired");
  auto nbf = numeric_date(claims, "nbf", problem);
  if (!problem.empty()) return unauthenticated(problem);
  if (nbf && now_s + leeway < *nbf) return unauthenticated("not valid yet (nbf)");
  auto iat = numeric_date(claims, "iat", problem);
  if (!problem.empty()) return unauthenticated(problem);
  if (iat && now_s + leeway < *iat) return unauthenticated("issued in the future (iat)");

  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != policy.issuer) {
    return unauthenticated("wrong issuer");
  }
  auto aud = claims.find("aud");
  bool audience_ok = false;
  if (aud != claims.end() && aud->is_string()) audience_ok = aud->get<std::string>() == policy.audience;
  if (aud != claims.end() && aud->is_array()) {
    audience_ok = std::any_of(aud->begin(), aud->end(), [&](const nlohmann::json& a) {
      return a.is_string() && a.get<std::string>() == policy.audience;
    });
  }
  if (!audience_ok) return unauthenticated("wrong audience");

  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty()) {
    return unauthenticated("sub is required");
  }
  if (!is_safe_jwt_subject(sub->get<std::string>())) {
    return unauthenticated("sub must be 1 to " + std::to_string(kMaxJwtSubjectLength) +
                           " printable ASCII characters without spaces");
  }
  auto tenant = claims.find(policy.tenant_claim);
  if (tenant == claims.end() || !tenant->is_string() || !is_tenant_slug(tenant->get<std::string>())) {
    return unauthenticated("the " + policy.tenant_claim + " claim must be a tenant slug");
  }

  Principal principal;
  principal.tenant = tenant->get<std::string>();
  principal.subject = "jwt:" + sub->get<std::string>();
  principal.limit_key = "jwt:" + policy.issuer + ":" + sub->get<std::string>();
  std::vector<std::string> roles;
  if (auto r = claims.find(policy.roles_claim); r != claims.end()) {
    if (r->is_array()) {
      for (const auto& role : *r) {
        if (role.is_string()) roles.push_back(role.get<std::string>());
      }
    } else if (r->is_string()) {
      std::string text = r->get<std::string>();
      std::replace(text.begin(), text.end(), ',', ' ');
      std::size_t start = 0;
      while (start < text.size()) {
        auto end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) roles.push_back(text.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  for (const auto& role : roles) {
    if (is_known_role(role) && std::find(principal.roles.begin(), principal.roles.end(), role) == principal.roles.end()) {
      principal.roles.push_back(role);
    }
  }
  return principal;
}

core::Result<Principal> verify_jwt(std::string_view token, const JwtKeyRing& keys, const JwtPolicy& policy,
                                   core::Timestamp now) {
  auto decoded = decode_jwt(token);
  if (!decoded) return decoded.error();
  auto verified = keys.verify(decoded->header, decoded->signing_input, decoded->signature);
  if (!verified) return verified.error();
  return principal_from_claims(decoded->claims, policy, now);
}

}  // namespace edfleet::gateway
