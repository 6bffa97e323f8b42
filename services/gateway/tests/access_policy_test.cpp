// Roles -> allowed methods.
#include <catch2/catch.hpp>

#include "domain/access_policy.h"

using namespace edfleet::gateway;

TEST_CASE("method patterns: everything, a whole service, one method") {
  CHECK(method_matches("*", "/a.B/C"));
  CHECK(method_matches("/edfleet.analytics.v1.AnalyticsService/*", "/edfleet.analytics.v1.AnalyticsService/GetKpis"));
  CHECK_FALSE(method_matches("/edfleet.analytics.v1.AnalyticsService/*", "/edfleet.analytics.v1.AnalyticsServiceX/Get"));
  CHECK_FALSE(method_matches("/edfleet.analytics.v1.AnalyticsService/*", "/edfleet.analytics.v1.AnalyticsService/"));
  CHECK(method_matches("/a.B/C", "/a.B/C"));
  CHECK_FALSE(method_matches("/a.B/C", "/a.B/CD"));
}

TEST_CASE("a policy allows a method when any of the caller's roles does") {
  auto policy = AccessPolicy::create({{"admin", {"*"}},
                                      {"learner", {"/edfleet.notify.v1.NotifyService/ListInbox"}},
                                      {"educator", {"/edfleet.analytics.v1.AnalyticsService/*"}}});
  REQUIRE(policy.ok());
  CHECK(policy->allows({"admin"}, "/edfleet.gateway.v1.GatewayAdmin/CreateApiKey"));
  CHECK(policy->allows({"learner"}, "/edfleet.notify.v1.NotifyService/ListInbox"));
  CHECK_FALSE(policy->allows({"learner"}, "/edfleet.analytics.v1.AnalyticsService/GetEventCounts"));
  CHECK(policy->allows({"learner", "educator"}, "/edfleet.analytics.v1.AnalyticsService/GetEventCounts"));
  CHECK_FALSE(policy->allows({}, "/edfleet.notify.v1.NotifyService/ListInbox"));
  CHECK_FALSE(policy->allows({"operator"}, "/edfleet.notify.v1.NotifyService/ListInbox"));  // no patterns
  CHECK_FALSE(policy->allows({"superuser"}, "/edfleet.notify.v1.NotifyService/ListInbox"));
}

TEST_CASE("a policy refuses unknown roles and malformed patterns, naming the key") {
  auto unknown = AccessPolicy::create({{"root", {"*"}}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().field == "roles.root");
  for (const std::string& bad : std::vector<std::string>{"edfleet.x.v1.S/M", "/S/M", "/a.B/*/*", "/a.B/C*", "**"}) {
    INFO(bad);
    auto r = AccessPolicy::create({{"learner", {bad}}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().field == "roles.learner");
  }
}

TEST_CASE("a policy names the roles that allow a method, for refusals") {
  auto policy = AccessPolicy::create({{"admin", {"*"}},
                                      {"lrs_reader", {"/edfleet.xapi.Lrs/Read"}},
                                      {"lrs_writer", {"/edfleet.xapi.Lrs/Read", "/edfleet.xapi.Lrs/Write"}},
                                      {"service", {"/edfleet.xapi.Lrs/*"}}});
  REQUIRE(policy.ok());
  CHECK(policy->roles_allowing("/edfleet.xapi.Lrs/Write") == std::vector<std::string>{"admin", "service", "lrs_writer"});
  CHECK(policy->roles_allowing("/edfleet.xapi.Lrs/Read") ==
        std::vector<std::string>{"admin", "service", "lrs_reader", "lrs_writer"});
  CHECK(policy->roles_allowing("/a.B/C") == std::vector<std::string>{"admin"});
  CHECK(is_known_role("lrs_reader"));
  CHECK_THAT(known_roles_text(), Catch::Contains("lrs_writer"));
}

TEST_CASE("pattern coverage: * covers all, a service wildcard its methods, a method itself") {
  CHECK(pattern_covers("*", "*"));
  CHECK(pattern_covers("*", "/pkg.Svc/*"));
  CHECK(pattern_covers("*", "/pkg.Svc/Method"));
  CHECK(pattern_covers("/pkg.Svc/*", "/pkg.Svc/*"));
  CHECK(pattern_covers("/pkg.Svc/*", "/pkg.Svc/Method"));
  CHECK(pattern_covers("/pkg.Svc/Method", "/pkg.Svc/Method"));

  CHECK_FALSE(pattern_covers("/pkg.Svc/*", "*"));
  CHECK_FALSE(pattern_covers("/pkg.Svc/Method", "*"));
  CHECK_FALSE(pattern_covers("/pkg.Svc/Method", "/pkg.Svc/*"));
  CHECK_FALSE(pattern_covers("/pkg.Svc/Method", "/pkg.Svc/Other"));
  CHECK_FALSE(pattern_covers("/pkg.Svc/*", "/pkg.SvcX/*"));
  CHECK_FALSE(pattern_covers("/pkg.Svc/*", "/pkg.SvcX/Method"));
  CHECK_FALSE(pattern_covers("/pkg.Svc/*", "/pkg.Other/Method"));
}

namespace {

// The shape of the default roles: admin everything, operator whole services (including
// GatewayAdmin here, so it may create keys), educator some methods.
AccessPolicy granting_policy() {
  auto policy = AccessPolicy::create(
      {{"admin", {"*"}},
       {"operator", {"/edfleet.analytics.v1.AnalyticsService/*", "/edfleet.gateway.v1.GatewayAdmin/*"}},
       {"educator", {"/edfleet.analytics.v1.AnalyticsService/GetEventCounts", "/edfleet.xapi.Lrs/Read"}},
       {"lrs_reader", {"/edfleet.xapi.Lrs/Read"}},
       {"lrs_writer", {"/edfleet.xapi.Lrs/Read", "/edfleet.xapi.Lrs/Write"}},
       {"learner", {}}});
  REQUIRE(policy.ok());
  return std::move(policy).value();
}

}  // namespace

TEST_CASE("a role is covered when each of its patterns is covered by the caller's roles together") {
  const auto policy = granting_policy();
  CHECK(policy.covers({"admin"}, "admin"));
  CHECK(policy.covers({"admin"}, "operator"));
  CHECK(policy.covers({"operator"}, "operator"));
  CHECK_FALSE(policy.covers({"operator"}, "admin"));
  CHECK_FALSE(policy.covers({"operator"}, "educator"));  // the LRS is not the operator's
  CHECK(policy.covers({"operator", "lrs_reader"}, "educator"));  // two roles together
  CHECK(policy.covers({"lrs_writer"}, "lrs_reader"));
  CHECK_FALSE(policy.covers({"lrs_reader"}, "lrs_writer"));
  CHECK(policy.covers({}, "learner"));  // no patterns: nothing to cover
  CHECK_FALSE(policy.covers({"superuser"}, "lrs_reader"));  // unknown caller roles hold nothing
  CHECK_FALSE(policy.covers({"admin"}, "service"));  // not configured in this policy
  CHECK(policy.knows("learner"));
  CHECK_FALSE(policy.knows("service"));
  CHECK_FALSE(policy.knows("root"));
}

TEST_CASE("granting roles: unknown ones are invalid, uncovered ones a privilege escalation") {
  const auto policy = granting_policy();
  CHECK(policy.check_grant({"admin"}, {"admin", "operator", "educator"}).ok());
  CHECK(policy.check_grant({"operator"}, {"operator"}).ok());
  CHECK(policy.check_grant({"operator"}, {}).ok());

  // The attack: an operator allowed to call CreateApiKey mints itself an admin key.
  auto escalation = policy.check_grant({"operator"}, {"operator", "admin"});
  REQUIRE_FALSE(escalation.ok());
  CHECK(escalation.error().code == edfleet::core::ErrorCode::kPermissionDenied);
  CHECK_THAT(escalation.error().message, Catch::Contains("cannot grant role admin"));
  CHECK_THAT(escalation.error().message, Catch::Contains("(operator)"));
  auto sideways = policy.check_grant({"lrs_reader"}, {"lrs_writer"});
  REQUIRE_FALSE(sideways.ok());
  CHECK(sideways.error().code == edfleet::core::ErrorCode::kPermissionDenied);
  CHECK_THAT(sideways.error().message, Catch::Contains("lrs_writer"));

  // Unknown roles are reported as such, before any coverage question.
  for (const std::string unknown : {"root", "service"}) {
    auto r = policy.check_grant({"operator"}, {"admin", unknown});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == edfleet::core::ErrorCode::kInvalidArgument);
    CHECK(r.error().field == "roles");
    CHECK_THAT(r.error().message, Catch::Contains("'" + unknown + "'"));
  }
}
