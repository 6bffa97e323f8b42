// xAPI attachments and signed statements: the multipart/mixed parser and writer, the rules matching
// parts to Attachment objects, JWS verification with a real RSA key and self-signed certificate made
// here with OpenSSL, and the Statements use case carrying attachment data on its events.
#include <catch2/catch.hpp>

#include <memory>

#include <nlohmann/json.hpp>

#include "adapters/openssl_jws_verifier.h"
#include "domain/xapi/attachments.h"
#include "domain/xapi/multipart.h"
#include "domain/xapi/store_statements.h"
#include "edfleet/core/hash.h"
#include "edfleet/core/time_format.h"
#include "xapi_signing.h"

using namespace edfleet;
using namespace edfleet::ingest;
using namespace edfleet::ingest::xapi;
using nlohmann::json;
using edfleet::ingest::xapi_test::base64;
using edfleet::ingest::xapi_test::Signer;

namespace {

const Signer& signer() {
  static const Signer s = Signer::make("edfleet test signer");
  return s;
}
const Signer& other_signer() {
  static const Signer s = Signer::make("someone else");
  return s;
}

json statement() {
  return json::parse(R"({"actor": {"mbox": "mailto:ada@example.com", "name": "Ada"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "https://lms.example.com/course/algebra-1"}})");
}

json attachment(const std::string& data, const std::string& content_type = "text/plain") {
  return {{"usageType", "http://example.com/attachment-usage/test"},
          {"display", {{"en-US", "A test attachment"}}},
          {"contentType", content_type},
          {"length", data.size()},
          {"sha2", core::sha256_hex(data)}};
}

MultipartPart part(const std::string& data, std::optional<std::string> hash = std::nullopt,
                   const std::string& encoding = "binary", const std::string& content_type = "text/plain") {
  MultipartPart p;
  if (!content_type.empty()) p.headers.emplace_back("Content-Type", content_type);
  if (!encoding.empty()) p.headers.emplace_back("Content-Transfer-Encoding", encoding);
  const std::string h = hash.value_or(core::sha256_hex(data));
  if (!h.empty()) p.headers.emplace_back("X-Experience-API-Hash", h);
  p.body = data;
  return p;
}

// The statement signed (as it is before the signature attachment is added), with the signature attachment.
json signed_statement(const std::string& jws, json s = statement()) {
  s["attachments"] = s.value("attachments", json::array());
  s["attachments"].push_back({{"usageType", std::string(kSignatureUsageType)},
                              {"display", {{"en-US", "Signature"}}},
                              {"contentType", "application/octet-stream"},
                              {"length", jws.size()},
                              {"sha2", core::sha256_hex(jws)}});
  return s;
}

core::Result<MatchedAttachments> match(const std::vector<json>& statements, const std::vector<MultipartPart>& parts,
                                       bool multipart = true, std::size_t max_bytes = 1 << 20) {
  OpenSslJwsVerifier crypto;
  return match_attachments(statements, statements.size() > 1, multipart, parts, crypto, max_bytes);
}

core::Result<void> check_signed(const json& s, const std::string& jws) {
  OpenSslJwsVerifier crypto;
  const std::vector<json> statements = {s};
  auto matched = match_attachments(statements, false, true, {part(jws, std::nullopt, "binary", "application/octet-stream")},
                                   crypto, 1 << 20);
  if (!matched) return matched.error();
  return verify_signatures(statements, false, *matched, crypto, Version::k1_0);
}

bool mentions(const core::Error& e, const std::string& text) { return e.message.find(text) != std::string::npos; }

}  // namespace

TEST_CASE("multipart boundary: quoted, plain, missing or invalid", "[xapi][attachments]") {
  CHECK(*multipart_boundary(R"(multipart/mixed; boundary="abcABC0123'()+_,-./:=?")") == "abcABC0123'()+_,-./:=?");
  CHECK(*multipart_boundary("multipart/mixed;boundary=xyz; charset=utf-8") == "xyz");
  CHECK(*multipart_boundary("Multipart/Mixed; BOUNDARY=xyz") == "xyz");
  const auto missing = multipart_boundary("multipart/mixed");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().field == "Content-Type");
  CHECK(mentions(missing.error(), "boundary"));
  CHECK_FALSE(multipart_boundary("multipart/mixed; boundary=" + std::string(71, 'a')));
  CHECK_FALSE(multipart_boundary("multipart/mixed; boundary=\"\""));
  CHECK_FALSE(multipart_boundary("multipart/mixed; boundary=\"a<b\""));
  CHECK(media_type(" Multipart/Mixed ; boundary=x") == "multipart/mixed");
}

TEST_CASE("multipart body: the spec's example parses; round trip through the writer", "[xapi][attachments]") {
  const std::string boundary = "abcABC0123'()+_,-./:=?";
  const std::string body = "--" + boundary + "\r\nContent-Type:application/json\r\n\r\n{\"a\":1}\r\n--" + boundary +
                           "\r\nContent-Type:text/plain\r\nContent-Transfer-Encoding:binary\r\n"
                           "X-Experience-API-Hash:495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a\r\n"
                           "\r\nhere is a simple attachment\r\n--" + boundary + "--";
  const auto parts = parse_multipart(body, boundary);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  CHECK(parts->at(0).header("content-type") == "application/json");
  CHECK(parts->at(0).body == "{\"a\":1}");
  CHECK(parts->at(1).header("X-Experience-API-Hash") ==
        "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a");
  CHECK(parts->at(1).body == "here is a simple attachment");
  CHECK(core::sha256_hex(parts->at(1).body) == "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a");

  // Binary content with CR, LF and NUL survives; a preamble is skipped.
  const std::string binary("\r\n\0\xff--x\r\n", 9);
  const std::vector<MultipartPart> written = {{{{"Content-Type", "application/json"}}, "[]"},
                                              {{{"X-Experience-API-Hash", "h"}}, binary},
                                              {{}, ""}};
  const auto again = parse_multipart("preamble\r\n" + write_multipart("b0und", written), "b0und");
  REQUIRE(again.ok());
  REQUIRE(again->size() == 3);
  CHECK(again->at(1).body == binary);
  CHECK(again->at(2).body.empty());
  CHECK(again->at(2).headers.empty());
}

TEST_CASE("multipart body errors name what is wrong", "[xapi][attachments]") {
  const auto no_boundary = parse_multipart("{\"a\":1}", "xyz");
  REQUIRE_FALSE(no_boundary);
  CHECK(mentions(no_boundary.error(), "xyz"));
  const auto not_closed = parse_multipart("--xyz\r\nContent-Type: application/json\r\n\r\n{}", "xyz");
  REQUIRE_FALSE(not_closed);
  CHECK(mentions(not_closed.error(), "not closed"));
  const auto bad_header = parse_multipart("--xyz\r\nno colon here\r\n\r\n{}\r\n--xyz--", "xyz");
  REQUIRE_FALSE(bad_header);
  CHECK(mentions(bad_header.error(), "malformed header"));
  CHECK_FALSE(parse_multipart("--xyz--", "xyz"));
}

TEST_CASE("attachment parts match Attachment objects by SHA-2", "[xapi][attachments]") {
  json s1 = statement();
  s1["attachments"] = {attachment("essay text"), attachment("shared")};
  json s2 = statement();
  s2["attachments"] = {attachment("shared")};
  json with_url = statement();
  with_url["attachments"] = {attachment("elsewhere")};
  with_url["attachments"][0]["fileUrl"] = "https://files.example.com/elsewhere.txt";

  const auto matched = match({s1, s2, with_url}, {part("essay text"), part("shared")});
  REQUIRE(matched.ok());
  REQUIRE(matched->by_statement.size() == 3);
  REQUIRE(matched->by_statement[0].size() == 2);
  CHECK(matched->by_statement[0][0].content == "essay text");
  CHECK(matched->by_statement[0][0].content_type == "text/plain");
  CHECK(matched->by_statement[1].size() == 1);   // the shared part goes with both statements
  CHECK(matched->by_statement[1][0].content == "shared");
  CHECK(matched->by_statement[2].empty());        // fileUrl only: no data
  CHECK(matched->total_bytes == 16);

  // Parameters may carry more than the media type (spec example: "text/plain; charset=ascii").
  json charset = statement();
  charset["attachments"] = {attachment("abc", "text/plain; charset=ascii")};
  CHECK(match({charset}, {part("abc")}).ok());
  // SHA-512 works too.
  OpenSslJwsVerifier crypto;
  json sha512 = statement();
  sha512["attachments"] = {attachment("abc")};
  sha512["attachments"][0]["sha2"] = *crypto.sha2_hex("abc", 128);
  CHECK(match({sha512}, {part("abc", *crypto.sha2_hex("abc", 128))}).ok());
  // application/json: attachments with fileUrl only.
  CHECK(match({with_url}, {}, false).ok());
}

TEST_CASE("attachment rule violations are 400 naming the attachment or part", "[xapi][attachments]") {
  json s = statement();
  s["attachments"] = {attachment("essay text")};

  SECTION("an attachment without fileUrl and without a part") {
    const auto r = match({s}, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(r.error().field == "attachments[0].sha2");
    CHECK(mentions(r.error(), "no part with X-Experience-API-Hash " + core::sha256_hex("essay text")));
  }
  SECTION("application/json with an attachment that has no fileUrl") {
    const auto r = match({s}, {}, false);
    REQUIRE_FALSE(r);
    CHECK(mentions(r.error(), "has no fileUrl"));
    CHECK(mentions(r.error(), "multipart/mixed"));
  }
  SECTION("a part no attachment refers to") {
    const auto r = match({s}, {part("essay text"), part("stray")});
    REQUIRE_FALSE(r);
    CHECK(mentions(r.error(), "part 3"));
    CHECK(mentions(r.error(), "matches no attachment"));
  }
  SECTION("content that does not have the declared hash") {
    const auto r = match({s}, {part("essay text!", core::sha256_hex("essay text"))});
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "X-Experience-API-Hash");
    CHECK(mentions(r.error(), "part 2: its content's SHA-2 is " + core::sha256_hex("essay text!")));
  }
  SECTION("missing X-Experience-API-Hash") {
    const auto r = match({s}, {part("essay text", "")});
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "X-Experience-API-Hash");
    CHECK(mentions(r.error(), "part 2 has no X-Experience-API-Hash"));
  }
  SECTION("missing or wrong Content-Transfer-Encoding") {
    const auto missing = match({s}, {part("essay text", std::nullopt, "")});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().field == "Content-Transfer-Encoding");
    const auto base64_encoded = match({s}, {part("essay text", std::nullopt, "base64")});
    REQUIRE_FALSE(base64_encoded);
    CHECK(mentions(base64_encoded.error(), "got \"base64\""));
  }
  SECTION("a hash that is no SHA-2 digest") {
    const auto r = match({s}, {part("essay text", "abc123")});
    REQUIRE_FALSE(r);
    CHECK(mentions(r.error(), "not a SHA-2 hex digest"));
  }
  SECTION("Content-Type must agree with the attachment") {
    const auto type = match({s}, {part("essay text", std::nullopt, "binary", "image/png")});
    REQUIRE_FALSE(type);
    CHECK(type.error().field == "attachments[0].contentType");
  }
  SECTION("Communication 1.5.2 / Data 2.4.11: parts match by SHA-2 only; length is not compared") {
    // A client that declares the size of the data before it was encoded for sending (what the external
    // conformance suite does with a binary file) still matches by the hash of what it sent.
    json other_length = s;
    other_length["attachments"][0]["length"] = 99;
    const auto r = match({other_length}, {part("essay text")});
    REQUIRE(r);
    REQUIRE(r->by_statement[0].size() == 1);
    CHECK(r->by_statement[0][0].content == "essay text");
  }
  SECTION("in a batch the path names the statement") {
    const auto r = match({statement(), s}, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "[1].attachments[0].sha2");
    CHECK(mentions(r.error(), "statement [1]"));
  }
  SECTION("more attachment data than allowed is 413") {
    const auto r = match({s}, {part("essay text")}, true, 5);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == core::ErrorCode::kTooLarge);
  }
}

TEST_CASE("signed statements: a valid RS256/384/512 JWS with x5c is accepted", "[xapi][attachments][jws]") {
  for (const char* alg : {"RS256", "RS384", "RS512"}) {
    INFO(alg);
    const std::string jws = signer().sign(statement().dump(), alg);
    OpenSslJwsVerifier verifier;
    const auto verified = verifier.verify(jws);
    REQUIRE(verified.ok());
    CHECK(verified->certificate_checked);
    CHECK(verified->algorithm == alg);
    CHECK(check_signed(signed_statement(jws), jws).ok());
  }
  // The payload may be serialised differently (key order, spacing) and lack the LRS-set properties.
  json s = statement();
  s["id"] = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0";
  const std::string jws = signer().sign("{ \"object\": {\"id\": \"https://lms.example.com/course/algebra-1\"}, "
                                        "\"verb\": {\"id\": \"http://adlnet.gov/expapi/verbs/completed\"}, "
                                        "\"actor\": {\"mbox\": \"mailto:ada@example.com\", \"name\": \"Ada\"}, "
                                        "\"id\": \"FD41C918-B88B-4B20-A0A5-A4C32391AAA0\"}");
  json with_lrs_properties = signed_statement(jws, s);
  with_lrs_properties["authority"] = authority_for("acme", "key-1");
  CHECK(check_signed(with_lrs_properties, jws).ok());
}

TEST_CASE("signed statements: tampering, another key, a bad alg or a malformed JWS are 400",
          "[xapi][attachments][jws]") {
  SECTION("the statement differs from the signed payload") {
    const std::string jws = signer().sign(statement().dump());
    json tampered = statement();
    tampered["actor"]["mbox"] = "mailto:eve@example.com";
    const auto r = check_signed(signed_statement(jws, tampered), jws);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(r.error().field == "attachments[0]");
    CHECK(mentions(r.error(), "is not the statement sent"));
  }
  SECTION("the payload was changed after signing") {
    const std::string jws = signer().sign(statement().dump());
    json changed = statement();
    changed["verb"]["id"] = "http://adlnet.gov/expapi/verbs/failed";
    const auto dot1 = jws.find('.'), dot2 = jws.rfind('.');
    const std::string forged = jws.substr(0, dot1 + 1) + base64(changed.dump(), true) + jws.substr(dot2);
    const auto r = check_signed(signed_statement(forged, changed), forged);
    REQUIRE_FALSE(r);
    CHECK(mentions(r.error(), "does not verify"));
  }
  SECTION("signed with another key than the x5c certificate's") {
    const std::string jws = other_signer().sign(statement().dump(), "RS256", signer().cert_der);
    const auto r = check_signed(signed_statement(jws), jws);
    REQUIRE_FALSE(r);
    CHECK(mentions(r.error(), "does not verify with the key of its x5c certificate"));
  }
  SECTION("an algorithm other than RS256/RS384/RS512") {
    for (const char* alg : {"HS256", "none", "PS256", "ES256"}) {
      const std::string jws = signer().sign(statement().dump(), alg);
      const auto r = check_signed(signed_statement(jws), jws);
      REQUIRE_FALSE(r);
      CHECK(mentions(r.error(), "must be RS256, RS384 or RS512"));
    }
  }
  SECTION("malformed JWS") {
    for (const std::string& jws : {std::string("not a jws"), std::string("a.b"), std::string("e30.e30.!!!"),
                                  base64("[1]", true) + "." + base64("{}", true) + ".c2ln"}) {
      const auto r = check_signed(signed_statement(jws), jws);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == core::ErrorCode::kInvalidArgument);
    }
    const std::string bad_cert = signer().sign(statement().dump(), "RS256", std::string("not DER"));
    CHECK(mentions(check_signed(signed_statement(bad_cert), bad_cert).error(), "x5c"));
    const std::string not_a_statement = signer().sign("{\"hello\": 1}");
    CHECK(mentions(check_signed(signed_statement(not_a_statement), not_a_statement).error(), "invalid"));
  }
  SECTION("a signature attachment must be application/octet-stream and sent as a part") {
    const std::string jws = signer().sign(statement().dump());
    json s = signed_statement(jws);
    s["attachments"][0]["contentType"] = "application/jose";
    const auto r = match({s}, {part(jws, std::nullopt, "binary", "application/jose")});
    REQUIRE_FALSE(r);
    CHECK(mentions(r.error(), "application/octet-stream"));
    json with_url = signed_statement(jws);
    with_url["attachments"][0]["fileUrl"] = "https://example.com/sig";
    CHECK(mentions(match({with_url}, {}).error(), "must be sent as a multipart/mixed part"));
  }
}

TEST_CASE("without x5c a well-formed JWS is accepted (nothing to verify against)", "[xapi][attachments][jws]") {
  const std::string jws = signer().sign(statement().dump(), "RS256", std::string());
  OpenSslJwsVerifier verifier;
  const auto verified = verifier.verify(jws);
  REQUIRE(verified.ok());
  CHECK_FALSE(verified->certificate_checked);
  CHECK(check_signed(signed_statement(jws), jws).ok());
  // The payload must still be the statement.
  json tampered = statement();
  tampered["object"]["id"] = "https://lms.example.com/course/other";
  CHECK_FALSE(check_signed(signed_statement(jws, tampered), jws));
}
