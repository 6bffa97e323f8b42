// API key management and verification: hashed storage, tenant scoping, revocation through the
// cache within its TTL, and the authenticator in front of them.
#include <catch2/catch.hpp>

#include "domain/api_keys.h"
#include "domain/authenticator.h"
#include "edfleet/core/base64.h"
#include "edfleet/core/hash.h"
#include "fake_key_store.h"

using namespace edfleet;
using namespace edfleet::gateway;
using namespace std::chrono_literals;

namespace {

core::Timestamp start() { return core::Timestamp(std::chrono::seconds(1'700'000'000)); }

// A key service over a fake store, on a manual clock.
struct Keys {
  core::ManualClock clock{start()};
  testing::FakeKeyStore store;
  testing::CountingSecrets secrets;
  ApiKeyService service{store, secrets, clock};
};

}  // namespace

TEST_CASE("a created key is stored hashed and shown once in efk_<id>.<secret> form") {
  Keys k;
  auto& [clock, store, secrets, service] = k;

  auto created = service.create("acme", "lms sync", {"service", "educator", "service"});
  REQUIRE(created.ok());
  const auto& record = created->record;
  CHECK(record.tenant == "acme");
  CHECK(record.name == "lms sync");
  CHECK(record.roles == std::vector<std::string>{"educator", "service"});
  CHECK(record.created_at == start());
  CHECK_FALSE(record.revoked());
  REQUIRE(is_api_key_id(record.id));
  CHECK(record.id.size() == 4 + 16);

  auto parsed = parse_api_key(created->key);
  REQUIRE(parsed);
  CHECK(parsed->id == record.id);
  CHECK(core::base64url_decode(parsed->secret)->size() == 32);
  auto stored = store.find(record.id);
  REQUIRE(stored);
  CHECK(stored->secret_sha256 == core::sha256_hex(parsed->secret));
  CHECK(stored->secret_sha256.find(parsed->secret) == std::string::npos);
}

TEST_CASE("creating a key validates tenant, name and roles") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  CHECK(service.create("Acme", "n", {"admin"}).error().field == "tenant");
  CHECK(service.create("acme", "", {"admin"}).error().field == "name");
  CHECK(service.create("acme", "a\nb", {"admin"}).error().field == "name");
  CHECK(service.create("acme", "a\x7f", {"admin"}).error().field == "name");  // DEL is a control
  CHECK(service.create("acme", "Laptop de Jos\xc3\xa9", {"admin"}).ok());     // UTF-8 is a name
  CHECK(service.create("acme", "n", {}).error().field == "roles");
  CHECK(service.create("acme", "n", {"root"}).error().field == "roles");
}

TEST_CASE("an id collision is retried with a new id") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  auto first = service.create("acme", "one", {"admin"});
  REQUIRE(first.ok());
  secrets.repeat_from(1);  // the next id would collide
  auto second = service.create("acme", "two", {"admin"});
  REQUIRE(second.ok());
  CHECK(second->record.id != first->record.id);
}

TEST_CASE("listing and revoking stay within the caller's tenant") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  auto acme = service.create("acme", "a", {"admin"});
  clock.advance(1s);
  auto acme2 = service.create("acme", "b", {"learner"});
  auto globex = service.create("globex", "g", {"admin"});
  REQUIRE((acme.ok() && acme2.ok() && globex.ok()));

  auto listed = service.list("acme");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].name == "a");
  CHECK((*listed)[1].name == "b");

  // Another tenant's key looks like a key that does not exist.
  auto foreign = service.revoke(globex->record.id, "acme");
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().code == core::ErrorCode::kNotFound);
  CHECK_FALSE(store.find(globex->record.id)->revoked());

  clock.advance(5s);
  auto revoked = service.revoke(acme->record.id, "acme");
  REQUIRE(revoked.ok());
  REQUIRE(revoked->revoked_at);
  CHECK(*revoked->revoked_at == start() + 6s);
  clock.advance(5s);
  CHECK(*service.revoke(acme->record.id, "acme")->revoked_at == start() + 6s);  // the first time stays
  CHECK(service.revoke("efk_ffff", "acme").error().code == core::ErrorCode::kNotFound);
  CHECK(service.revoke("nonsense", "acme").error().code == core::ErrorCode::kInvalidArgument);
}

TEST_CASE("a store outage is UNAVAILABLE, not a crash") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  store.down = true;
  CHECK(service.create("acme", "a", {"admin"}).error().code == core::ErrorCode::kUnavailable);
  CHECK(service.list("acme").error().code == core::ErrorCode::kUnavailable);
  CHECK(service.revoke("efk_01", "acme").error().code == core::ErrorCode::kUnavailable);
}

TEST_CASE("a store outage tells the caller nothing about the database") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  auto created = service.create("acme", "a", {"admin"});
  REQUIRE(created.ok());
  CachingKeyLookup lookup(store, clock, {});
  Authenticator authenticator(&lookup, nullptr, JwtPolicy{}, clock);
  // What a real driver says: host, address, user. None of it may reach a client.
  const std::string marker = "SECRET-DB-DETAIL-7f3a";
  store.down = true;
  store.down_message = "cannot connect to PostgreSQL at db.internal:5432/gateway: connection to server at "
                       "\"10.0.0.7\" failed: password authentication failed for user \"gateway\" " + marker;

  std::vector<core::Error> errors;
  // Unauthenticated callers: any Authorization header with an API key reaches the store.
  errors.push_back(authenticator.authenticate("Bearer " + created->key).error());
  errors.push_back(verify_api_key(lookup, ApiKeyCredential{"efk_00000000000000ff", "any-secret-at-all"}).error());
  // Admins managing keys.
  errors.push_back(service.create("acme", "b", {"admin"}).error());
  errors.push_back(service.list("acme").error());
  errors.push_back(service.revoke(created->record.id, "acme").error());
  for (const auto& error : errors) {
    INFO(error.message);
    CHECK(error.code == core::ErrorCode::kUnavailable);
    CHECK(error.message.find(marker) == std::string::npos);
    CHECK(error.message.find("PostgreSQL") == std::string::npos);
    CHECK(error.message.find("10.0.0.7") == std::string::npos);
    CHECK_THAT(error.message, Catch::Contains("API keys cannot be checked right now"));
  }
}

TEST_CASE("verification: the right secret authenticates, anything else is one indistinct error") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  auto created = service.create("acme", "a", {"educator"});
  REQUIRE(created.ok());
  CachingKeyLookup lookup(store, clock, {});
  auto credential = *parse_api_key(created->key);

  auto principal = verify_api_key(lookup, credential);
  REQUIRE(principal.ok());
  CHECK(principal->tenant == "acme");
  CHECK(principal->subject == "key:" + created->record.id);
  CHECK(principal->roles == std::vector<std::string>{"educator"});
  CHECK(principal->limit_key == created->record.id);

  auto wrong_secret = credential;
  wrong_secret.secret[0] = wrong_secret.secret[0] == 'A' ? 'B' : 'A';
  auto unknown = credential;
  unknown.id = "efk_00000000000000ff";
  auto e1 = verify_api_key(lookup, wrong_secret);
  auto e2 = verify_api_key(lookup, unknown);
  REQUIRE_FALSE(e1.ok());
  REQUIRE_FALSE(e2.ok());
  CHECK(e1.error().code == core::ErrorCode::kUnauthenticated);
  CHECK(e1.error().message == e2.error().message);
}

TEST_CASE("the cache serves repeated lookups and sees a revocation after its TTL") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  auto created = service.create("acme", "a", {"admin"});
  REQUIRE(created.ok());
  CachingKeyLookup lookup(store, clock, {.ttl = 5s, .negative_ttl = 2s, .stale_limit = 60s, .max_entries = 100});
  auto credential = *parse_api_key(created->key);

  const int before = store.finds;
  for (int i = 0; i < 10; ++i) REQUIRE(verify_api_key(lookup, credential).ok());
  CHECK(store.finds == before + 1);

  REQUIRE(service.revoke(created->record.id, "acme").ok());
  clock.advance(4s);
  CHECK(verify_api_key(lookup, credential).ok());  // still cached: revocation takes up to the TTL
  clock.advance(2s);
  CHECK(verify_api_key(lookup, credential).error().code == core::ErrorCode::kUnauthenticated);

  // Unknown ids are cached briefly too.
  auto unknown = credential;
  unknown.id = "efk_00000000000000ff";
  const int finds = store.finds;
  for (int i = 0; i < 5; ++i) CHECK_FALSE(verify_api_key(lookup, unknown).ok());
  CHECK(store.finds == finds + 1);
}

TEST_CASE("during a store outage a recently cached key still works; an uncached one is UNAVAILABLE") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  auto created = service.create("acme", "a", {"admin"});
  auto other = service.create("acme", "b", {"admin"});
  CachingKeyLookup lookup(store, clock, {.ttl = 5s, .negative_ttl = 2s, .stale_limit = 60s, .max_entries = 100});
  REQUIRE(verify_api_key(lookup, *parse_api_key(created->key)).ok());
  store.down = true;
  clock.advance(30s);
  CHECK(verify_api_key(lookup, *parse_api_key(created->key)).ok());
  CHECK(verify_api_key(lookup, *parse_api_key(other->key)).error().code == core::ErrorCode::kUnavailable);
  clock.advance(60s);
  CHECK(verify_api_key(lookup, *parse_api_key(created->key)).error().code == core::ErrorCode::kUnavailable);
}

TEST_CASE("the authenticator routes credentials to API keys or JWTs and explains refusals") {
  Keys k;
  auto& [clock, store, secrets, service] = k;
  auto created = service.create("acme", "a", {"admin"});
  CachingKeyLookup lookup(store, clock, {});

  Authenticator with_keys(&lookup, nullptr, JwtPolicy{}, clock);
  CHECK(with_keys.authenticate("Bearer " + created->key).ok());
  auto none = with_keys.authenticate("");
  CHECK(none.error().code == core::ErrorCode::kUnauthenticated);
  CHECK_THAT(none.error().message, Catch::Contains("credentials required"));
  CHECK_THAT(with_keys.authenticate("Bearer a.b.c").error().message, Catch::Contains("JWTs are not accepted"));

  Authenticator without_keys(nullptr, nullptr, JwtPolicy{}, clock);
  CHECK_THAT(without_keys.authenticate("Bearer " + created->key).error().message,
             Catch::Contains("API keys are not enabled"));
}
