#include <catch2/catch.hpp>

#include <httplib.h>

#include "edfleet/http/alternate_syntax.h"

using edfleet::http::alternate_method;
using edfleet::http::AlternateMethod;

namespace {

// The query parameters exactly as cpp-httplib's server parses them for the gateway and for ingest.
httplib::Params parsed(const std::string& query) {
  httplib::Params params;
  httplib::detail::parse_query_text(query, params);
  return params;
}

}  // namespace

TEST_CASE("alternate syntax: one method is read as given") {
  auto method = alternate_method(parsed("method=GET"));
  CHECK(method.kind == AlternateMethod::Kind::kOne);
  CHECK(method.value == "GET");
  CHECK(method.reads());
  CHECK(alternate_method(parsed("method=HEAD")).reads());
  CHECK_FALSE(alternate_method(parsed("method=PUT")).reads());
  // Executed case-sensitively, so classified case-sensitively: "get" is not a read.
  CHECK_FALSE(alternate_method(parsed("method=get")).reads());
}

TEST_CASE("alternate syntax: no method") {
  auto method = alternate_method(parsed("statementId=abc"));
  CHECK(method.kind == AlternateMethod::Kind::kAbsent);
  CHECK_FALSE(method.reads());
}

TEST_CASE("alternate syntax: a repeated method, however encoded, is never a read") {
  // The verified attack: %u006D decodes to 'm', so this is method=PUT and method=GET.
  auto method = alternate_method(parsed("%u006Dethod=PUT&method=GET"));
  CHECK(method.kind == AlternateMethod::Kind::kRepeated);
  CHECK_FALSE(method.reads());
  // httplib keeps one of identical name=value pairs, so this is one method (and a harmless one).
  CHECK(alternate_method(parsed("method=GET&method=GET")).kind == AlternateMethod::Kind::kOne);
  CHECK(alternate_method(parsed("m%65thod=GET&method=PUT")).kind == AlternateMethod::Kind::kRepeated);
}
