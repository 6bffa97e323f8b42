#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "edfleet/identity/caller_identity.h"

using namespace edfleet;
using identity::CallerIdentity;
using identity::IdentitySigner;
using identity::IdentityVerifier;
using namespace std::chrono_literals;

namespace {

const std::string kSecret(40, 's');
const std::string kOtherSecret(40, 'o');

core::ManualClock clock_at_epoch() { return core::ManualClock(core::Timestamp(std::chrono::seconds(1'800'000'000))); }

identity::ValuesOf values(std::multimap<std::string, std::string> headers) {
  return [headers = std::move(headers)](std::string_view key) {
    std::vector<std::string> found;
    auto [first, last] = headers.equal_range(std::string(key));
    for (auto it = first; it != last; ++it) found.push_back(it->second);
    return found;
  };
}

}  // namespace

TEST_CASE("identity: a signature verifies for exactly the identity it was made for") {
  auto clock = clock_at_epoch();
  IdentitySigner signer(kSecret, clock, 60s);
  IdentityVerifier verifier({kSecret}, clock, 60s);
  const CallerIdentity alpha{"alpha", "key:0123456789abcdef", "lrs_reader"};
  const auto signature = signer.sign(alpha);
  CHECK(verifier.verify(alpha, signature).ok());
  // Any other tenant, principal or roles with the same signature fails: nothing can be swapped in.
  CHECK_FALSE(verifier.verify({"beta", alpha.principal, alpha.roles}, signature).ok());
  CHECK_FALSE(verifier.verify({alpha.tenant, "key:other", alpha.roles}, signature).ok());
  CHECK_FALSE(verifier.verify({alpha.tenant, alpha.principal, "admin"}, signature).ok());
  // Moving bytes between fields does not keep the signature valid (the fields are length-prefixed).
  const CallerIdentity shifted{"alph", "akey:0123456789abcdef", "lrs_reader"};
  CHECK_FALSE(verifier.verify(shifted, signature).ok());
}

TEST_CASE("identity: a signature made with another secret, tampered or malformed is refused") {
  auto clock = clock_at_epoch();
  IdentityVerifier verifier({kSecret}, clock, 60s);
  const CallerIdentity alpha{"alpha", "key:1", "admin"};
  const auto forged = IdentitySigner(kOtherSecret, clock, 60s).sign(alpha);
  auto refused = verifier.verify(alpha, forged);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == core::ErrorCode::kUnauthenticated);
  std::string tampered = IdentitySigner(kSecret, clock, 60s).sign(alpha);
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  CHECK_FALSE(verifier.verify(alpha, tampered).ok());
  for (const char* malformed : {"", "v1", "v1.", "v1.x.abc", "v2.1.abc", "v1.1", "v1.99999999999999999999.ab"}) {
    CHECK_FALSE(verifier.verify(alpha, malformed).ok());
  }
}

TEST_CASE("identity: signatures expire, and a far-future expiry is not honoured") {
  auto clock = clock_at_epoch();
  IdentitySigner signer(kSecret, clock, 60s);
  IdentityVerifier verifier({kSecret}, clock, 60s);
  const CallerIdentity alpha{"alpha", "key:1", ""};
  const auto signature = signer.sign(alpha);
  clock.advance(std::chrono::seconds(60 + 59));  // within the minute of allowed clock skew
  CHECK(verifier.verify(alpha, signature).ok());
  clock.advance(std::chrono::seconds(2));
  CHECK_FALSE(verifier.verify(alpha, signature).ok());
  auto long_lived = IdentitySigner(kSecret, clock, std::chrono::hours(24)).sign(alpha);
  CHECK_FALSE(verifier.verify(alpha, long_lived).ok());
}

TEST_CASE("identity: rotation verifies with every accepted secret") {
  auto clock = clock_at_epoch();
  IdentityVerifier verifier({kSecret, kOtherSecret}, clock, 60s);
  const CallerIdentity alpha{"alpha", "", ""};
  CHECK(verifier.verify(alpha, IdentitySigner(kOtherSecret, clock, 60s).sign(alpha)).ok());
  CHECK(verifier.verify(alpha, IdentitySigner(kSecret, clock, 60s).sign(alpha)).ok());
}

TEST_CASE("identity: the MAC is HMAC-SHA256, as an independent implementation computes it") {
  // OpenSSL's command-line tool is the independent peer: it must produce the same MAC.
  auto clock = clock_at_epoch();
  const CallerIdentity alpha{"alpha", "key:1", "admin"};
  const auto signature = IdentitySigner(kSecret, clock, 60s).sign(alpha);
  const std::string expiry = signature.substr(3, signature.rfind('.') - 3);
  const std::string input = "edfleet-identity-v1\n5:alpha\n5:key:1\n5:admin\n" + expiry;
  char path[] = "/tmp/edfleet-identity-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  close(fd);
  const std::string command = "openssl dgst -sha256 -hmac '" + kSecret + "' -r " + path;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char output[256] = {0};
  const auto read = fread(output, 1, sizeof output - 1, pipe);
  pclose(pipe);
  std::remove(path);
  REQUIRE(read >= 64);
  CHECK(signature.substr(signature.rfind('.') + 1) == std::string(output, 64));
}

TEST_CASE("identity: authenticate_caller checks what a request claims") {
  auto clock = clock_at_epoch();
  IdentitySigner signer(kSecret, clock, 60s);
  IdentityVerifier verifier({kSecret}, clock, 60s);
  const CallerIdentity alpha{"alpha", "key:1", "lrs_reader"};
  const auto signature = signer.sign(alpha);

  SECTION("nothing claimed: no identity, no error") {
    auto none = identity::authenticate_caller(values({}), verifier);
    REQUIRE(none.ok());
    CHECK_FALSE(none.value().has_value());
  }
  SECTION("signed: the identity") {
    auto signed_caller = identity::authenticate_caller(
        values({{"x-edfleet-tenant", "alpha"}, {"x-edfleet-principal", "key:1"}, {"x-edfleet-roles", "lrs_reader"},
                {"x-edfleet-identity", signature}}),
        verifier);
    REQUIRE(signed_caller.ok());
    REQUIRE(signed_caller.value().has_value());
    CHECK(signed_caller.value()->tenant == "alpha");
  }
  SECTION("a tenant without a signature is refused") {
    auto refused = identity::authenticate_caller(values({{"x-edfleet-tenant", "beta"}}), verifier);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == core::ErrorCode::kUnauthenticated);
  }
  SECTION("a second tenant next to a signed one is refused, whichever comes first") {
    auto refused = identity::authenticate_caller(
        values({{"x-edfleet-tenant", "alpha"}, {"x-edfleet-tenant", "beta"}, {"x-edfleet-principal", "key:1"},
                {"x-edfleet-roles", "lrs_reader"}, {"x-edfleet-identity", signature}}),
        verifier);
    CHECK_FALSE(refused.ok());
  }
  SECTION("a signed identity with a role added is refused") {
    auto refused = identity::authenticate_caller(
        values({{"x-edfleet-tenant", "alpha"}, {"x-edfleet-principal", "key:1"}, {"x-edfleet-roles", "lrs_reader,admin"},
                {"x-edfleet-identity", signature}}),
        verifier);
    CHECK_FALSE(refused.ok());
  }
}

TEST_CASE("identity: settings need a real secret") {
  identity::InternalAuthSettings settings;
  auto missing = identity::validate(settings);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().field == "internal_auth.secret");
  settings.secret = "short";
  CHECK_FALSE(identity::validate(settings).ok());
  settings.secret = kSecret;
  CHECK(identity::validate(settings).ok());
  settings.accepted_secrets = {"short"};
  CHECK(identity::validate(settings).error().field == "internal_auth.accepted_secrets");
}
