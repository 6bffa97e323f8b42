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
