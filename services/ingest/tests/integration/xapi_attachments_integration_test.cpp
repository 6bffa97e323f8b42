// xAPI attachments and signed statements end to end: the built edfleet-ingest against the test binary's
// embedded Kafka and Postgres. Statements with attachments go in as multipart/mixed, their data rides
// on the events (Kafka first), the materialiser stores it and GET ?attachments=true answers multipart.
#include <catch2/catch.hpp>

#include <csignal>
#include <memory>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../xapi_signing.h"
#include "domain/xapi/multipart.h"
#include "edfleet/core/hash.h"
#include "edfleet/events/v1/event.pb.h"
#include "edfleet/kafka/message.h"
#include "edfleet/contracts/topics.h"
#include "edfleet/testing/testing.h"
#include "xapi_http_test_support.h"

using namespace edfleet;
using nlohmann::json;
using ingest::xapi_test::Signer;
namespace xapi_test = edfleet::ingest::xapi_test;

namespace {

constexpr std::size_t kMaxAttachmentBytes = 4096;

testing::ServiceProcess& lrs() {
  static auto process = xapi_test::start_ingest(
      "ingest_xapi_attachments", {{"EDFLEET_INGEST_XAPI_MAX_ATTACHMENT_BYTES", std::to_string(kMaxAttachmentBytes)}});
  return *process;
}

httplib::Client client() { return xapi_test::http_client(lrs().http_port()); }

httplib::Headers headers(const std::string& tenant) { return xapi_test::xapi_headers(tenant); }

const Signer& signer() {
  static const Signer s = Signer::make("edfleet integration signer");
  return s;
}

json statement(const std::string& id = "", const std::string& email = "ada@example.com") {
  json s = json::parse(R"({"actor": {"mbox": "mailto:ada@example.com", "name": "Ada"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "https://lms.example.com/course/algebra-1"}})");
  s["actor"]["mbox"] = "mailto:" + email;
  if (!id.empty()) s["id"] = id;
  return s;
}

json attachment(const std::string& data, const std::string& content_type = "text/plain",
                const std::string& usage = "http://example.com/attachment-usage/test") {
  return {{"usageType", usage},
          {"display", {{"en-US", "Attachment"}}},
          {"contentType", content_type},
          {"length", data.size()},
          {"sha2", core::sha256_hex(data)}};
}

// One attachment part as the spec's example writes it.
struct Part {
  std::string data;
  std::string content_type = "text/plain";
  std::optional<std::string> hash;          // default: the data's SHA-256; "" leaves the header out
  std::string encoding = "binary";          // "" leaves the header out
};

const std::string kBoundary = "abcABC0123'()+_,-./:=?";

std::string multipart_body(const json& statements, const std::vector<Part>& parts,
                           const std::string& boundary = kBoundary) {
  std::string body = "--" + boundary + "\r\nContent-Type:application/json\r\n\r\n" + statements.dump() + "\r\n";
  for (const auto& p : parts) {
    body += "--" + boundary + "\r\nContent-Type:" + p.content_type + "\r\n";
    if (!p.encoding.empty()) body += "Content-Transfer-Encoding:" + p.encoding + "\r\n";
    const std::string hash = p.hash.value_or(core::sha256_hex(p.data));
    if (!hash.empty()) body += "X-Experience-API-Hash:" + hash + "\r\n";
    body += "\r\n" + p.data + "\r\n";
  }
  return body + "--" + boundary + "--";
}

httplib::Result post_multipart(httplib::Client& c, const std::string& tenant, const json& statements,
                               const std::vector<Part>& parts) {
  return c.Post("/xapi/statements", headers(tenant), multipart_body(statements, parts),
                "multipart/mixed; boundary=\"" + kBoundary + "\"");
}

json error_of(const httplib::Result& r) { return json::parse(r->body)["error"]; }

std::string message_of(const httplib::Result& r) { return error_of(r)["message"].get<std::string>(); }

// GET, polled until the statements are materialised (status 200 and, for queries, `count` statements).
httplib::Result get_when(httplib::Client& c, const std::string& tenant, const std::string& query,
                         std::size_t count = 1) {
  const auto fetch = [&] { return c.Get(("/xapi/statements?" + query).c_str(), headers(tenant)); };
  testing::wait_until([&] {
    auto last = fetch();
    if (!last || last->status != 200) return false;
    if (query.find("statementId") != std::string::npos) return true;
    std::string body = last->body;
    if (last->get_header_value("Content-Type").starts_with("multipart/")) {
      const auto b = ingest::xapi::multipart_boundary(last->get_header_value("Content-Type"));
      body = b ? ingest::xapi::parse_multipart(last->body, *b)->front().body : "";
    }
    return json::parse(body)["statements"].size() == count;
  });
  return fetch();
}

std::vector<ingest::xapi::MultipartPart> parts_of(const httplib::Result& r) {
  REQUIRE(r);
  const auto boundary = ingest::xapi::multipart_boundary(r->get_header_value("Content-Type"));
  REQUIRE(boundary.ok());
  auto parts = ingest::xapi::parse_multipart(r->body, *boundary);
  REQUIRE(parts.ok());
  return *parts;
}

}  // namespace

TEST_CASE("multipart/mixed: attachments matched by hash are stored and come back with attachments=true",
          "[xapi][attachments][integration]") {
  auto c = client();
  const std::string essay = "here is a simple attachment";
  const std::string shared = std::string("binary\r\n\0\xff data", 15);
  const std::string id1 = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0a01", id2 = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0a02";
  json s1 = statement(id1);
  s1["attachments"] = {attachment(essay, "text/plain; charset=ascii"), attachment(shared, "application/octet-stream")};
  json s2 = statement(id2, "bob@example.com");
  s2["attachments"] = {attachment(shared, "application/octet-stream")};
  json s3 = statement("6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0a03", "eve@example.com");
  s3["attachments"] = {attachment("hosted elsewhere")};
  s3["attachments"][0]["fileUrl"] = "https://files.example.com/elsewhere.txt";

  auto r = post_multipart(c, "attach", json::array({s1, s2, s3}),
                          {{essay}, {shared, "application/octet-stream"}});
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body) == json::array({id1, id2, "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0a03"}));

  // Kafka first: the data is on the statements' events.
  std::map<std::string, std::vector<std::string>> on_topic;
  for (auto& m : testing::read_topic(std::string(contracts::kEventsTopic))) {
    if (!m.key.starts_with("attach/")) continue;
    events::v1::Event event;
    REQUIRE(event.ParseFromString(m.value));
    for (const auto& a : event.xapi_statement().attachments()) on_topic[event.id()].push_back(a.content());
  }
  CHECK(on_topic[id1] == std::vector<std::string>{essay, shared});
  CHECK(on_topic[id2] == std::vector<std::string>{shared});
  CHECK_FALSE(on_topic.contains("6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0a03"));

  // A query with attachments=true: the result first, then each distinct attachment once.
  auto all = get_when(c, "attach", "attachments=true&ascending=true", 3);
  REQUIRE(all);
  CHECK(all->get_header_value("Content-Type").starts_with("multipart/mixed; boundary="));
  CHECK(all->has_header("X-Experience-API-Consistent-Through"));
  const auto parts = parts_of(all);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].header("Content-Type") == "application/json");
  CHECK(json::parse(parts[0].body)["statements"].size() == 3);
  std::map<std::string, std::string> by_hash;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    CHECK(parts[i].header("Content-Transfer-Encoding") == "binary");
    by_hash[parts[i].header("X-Experience-API-Hash").value_or("")] = parts[i].body;
  }
  CHECK(by_hash[core::sha256_hex(essay)] == essay);
  CHECK(by_hash[core::sha256_hex(shared)] == shared);
  CHECK(parts[1].header("Content-Type") == "text/plain; charset=ascii");

  // One statement: the statement, then its own attachment only.
  auto one = get_when(c, "attach", "statementId=" + id2 + "&attachments=true");
  const auto single = parts_of(one);
  REQUIRE(single.size() == 2);
  CHECK(json::parse(single[0].body)["id"] == id2);
  CHECK(single[1].body == shared);
  CHECK(single[1].header("X-Experience-API-Hash") == core::sha256_hex(shared));

  // attachments=false (the default) stays application/json.
  auto plain = c.Get(("/xapi/statements?statementId=" + id1).c_str(), headers("attach"));
  REQUIRE(plain);
  CHECK(plain->status == 200);
  CHECK(plain->get_header_value("Content-Type").starts_with("application/json"));
  CHECK(json::parse(plain->body)["attachments"].size() == 2);

  // Another tenant sees neither the statements nor the data.
  auto other = c.Get("/xapi/statements?attachments=true", headers("attach-other"));
  REQUIRE(other);
  CHECK(parts_of(other).size() == 1);

  // The same request again is no change.
  auto again = post_multipart(c, "attach", json::array({s1, s2, s3}), {{essay}, {shared, "application/octet-stream"}});
  REQUIRE(again);
  CHECK(again->status == 200);
  // PUT takes multipart too; a statement without attachments may come as multipart.
  auto put = c.Put("/xapi/statements?statementId=6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0a04", headers("attach"),
                   multipart_body(statement(), {}), "multipart/mixed; boundary=\"" + kBoundary + "\"");
  REQUIRE(put);
  CHECK(put->status == 204);
}

TEST_CASE("attachment violations are 400 with a message naming the attachment or part",
          "[xapi][attachments][integration]") {
  auto c = client();
  const std::string data = "essay text";
  json s = statement();
  s["attachments"] = {attachment(data)};
  const auto expect_400 = [&](const httplib::Result& r, const std::string& text) {
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == 400);
    CHECK(message_of(r).find(text) != std::string::npos);
  };
  expect_400(post_multipart(c, "attach-bad", s, {}), "has no fileUrl and no part with X-Experience-API-Hash");
  expect_400(post_multipart(c, "attach-bad", s, {{data}, {"stray"}}), "part 3 (X-Experience-API-Hash");
  expect_400(post_multipart(c, "attach-bad", s, {{"essay text, changed", "text/plain", core::sha256_hex(data)}}),
             "its content's SHA-2 is");
  expect_400(post_multipart(c, "attach-bad", s, {{data, "text/plain", ""}}), "has no X-Experience-API-Hash");
  expect_400(post_multipart(c, "attach-bad", s, {{data, "text/plain", std::nullopt, ""}}),
             "has no Content-Transfer-Encoding");
  // Boundaries: none in the Content-Type, or one the body does not use.
  auto no_boundary = c.Post("/xapi/statements", headers("attach-bad"), multipart_body(s, {{data}}), "multipart/mixed");
  expect_400(no_boundary, "boundary parameter");
  CHECK(error_of(no_boundary)["field"] == "Content-Type");
  expect_400(c.Post("/xapi/statements", headers("attach-bad"), multipart_body(s, {{data}}),
                    "multipart/mixed; boundary=other"),
             "does not contain the multipart boundary");
  expect_400(c.Post("/xapi/statements", headers("attach-bad"),
                    multipart_body(s, {{data}}).substr(0, multipart_body(s, {{data}}).size() - 4),
                    "multipart/mixed; boundary=\"" + kBoundary + "\""),
             "not closed");
  // The statements part must come first, as JSON.
  expect_400(c.Post("/xapi/statements", headers("attach-bad"),
                    "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--", "multipart/mixed; boundary=b"),
             "must be the statements");
  // application/json: only attachments with a fileUrl.
  auto json_only = c.Post("/xapi/statements", headers("attach-bad"), s.dump(), "application/json");
  expect_400(json_only, "has no fileUrl: attachment data must be sent as multipart/mixed");
  CHECK(error_of(json_only)["field"] == "attachments[0].sha2");
  json with_url = s;
  with_url["attachments"][0]["fileUrl"] = "https://files.example.com/essay.txt";
  auto url_ok = c.Post("/xapi/statements", headers("attach-bad"), with_url.dump(), "application/json");
  REQUIRE(url_ok);
  CHECK(url_ok->status == 200);
  // More attachment data than xapi.max_attachment_bytes: 413.
  const std::string big(kMaxAttachmentBytes + 1, 'x');
  json large = statement();
  large["attachments"] = {attachment(big)};
  auto too_large = post_multipart(c, "attach-bad", large, {{big}});
  REQUIRE(too_large);
  CHECK(too_large->status == 413);
}

TEST_CASE("signed statements: valid RS256 with x5c is stored; tampered, wrong key or bad alg is 400",
          "[xapi][attachments][jws][integration]") {
  auto c = client();
  const auto signed_request = [&](const json& sent, const std::string& jws) {
    json s = sent;
    s["attachments"] = json::array({attachment(jws, "application/octet-stream",
                                               "http://adlnet.gov/expapi/attachments/signature")});
    return post_multipart(c, "signed", s, {{jws, "application/octet-stream"}});
  };
  const std::string id = "6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0b01";
  const json s = statement(id);
  auto ok = signed_request(s, signer().sign(s.dump(), "RS256"));
  REQUIRE(ok);
  INFO(ok->body);
  CHECK(ok->status == 200);
  auto rs512 = signed_request(statement("6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0b02"),
                              signer().sign(statement("6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0b02").dump(), "RS512"));
  REQUIRE(rs512);
  CHECK(rs512->status == 200);

  // The stored statement keeps its signature, retrievable with attachments=true.
  auto back = get_when(c, "signed", "statementId=" + id + "&attachments=true");
  const auto parts = parts_of(back);
  REQUIRE(parts.size() == 2);
  CHECK(parts[1].body == signer().sign(s.dump(), "RS256"));

  json tampered = statement("6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0b03");
  auto changed = signed_request(tampered, signer().sign(statement("6c1c2d4e-0f4b-4e2a-9c1e-0a0b0c0d0b03",
                                                                  "eve@example.com").dump()));
  REQUIRE(changed);
  CHECK(changed->status == 400);
  CHECK(message_of(changed).find("is not the statement sent") != std::string::npos);

  const Signer other = Signer::make("not the certificate's key");
  auto wrong_key = signed_request(tampered, other.sign(tampered.dump(), "RS256", signer().cert_der));
  REQUIRE(wrong_key);
  CHECK(wrong_key->status == 400);
  CHECK(message_of(wrong_key).find("does not verify") != std::string::npos);

  auto bad_alg = signed_request(tampered, signer().sign(tampered.dump(), "HS256"));
  REQUIRE(bad_alg);
  CHECK(bad_alg->status == 400);
  CHECK(message_of(bad_alg).find("RS256, RS384 or RS512") != std::string::npos);

  auto malformed = signed_request(tampered, "this.is-not-a.jws");
  REQUIRE(malformed);
  CHECK(malformed->status == 400);
}

// Last: restarts the shared process. The attachment data is on Kafka before the answer, so a restart
// right after it (before or after materialisation) keeps it: GET returns it from the materialised table.
TEST_CASE("attachments survive a restart right after the answer (materialised from Kafka)",
          "[xapi][attachments][integration]") {
  auto c = client();
  std::vector<std::string> data;
  json batch = json::array();
  std::vector<Part> parts;
  for (int i = 0; i < 5; ++i) {
    data.push_back("restart attachment " + std::to_string(i));
    json s = statement("", "r" + std::to_string(i) + "@example.com");
    s["attachments"] = {attachment(data.back())};
    batch.push_back(s);
    parts.push_back({data.back()});
  }
  auto r = post_multipart(c, "attach-restart", batch, parts);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  lrs().kill(SIGTERM);
  lrs().wait();
  lrs().restart();
  auto after = client();
  auto all = get_when(after, "attach-restart", "attachments=true", 5);
  const auto got = parts_of(all);
  REQUIRE(got.size() == 6);
  std::set<std::string> bodies;
  for (std::size_t i = 1; i < got.size(); ++i) bodies.insert(got[i].body);
  CHECK(bodies == std::set<std::string>(data.begin(), data.end()));
}
