// The xAPI 1.0.3 alternate request syntax (Communication 1.3): `POST ...?method=PUT` with the real
// request as form fields. The gateway decides from `method` whether a request reads or writes the
// LRS, and ingest executes the method it names; both must read it from the same parse of the same
// query string, or one request can be a read at the gateway and a write at ingest (`%u006Dethod=PUT&
// method=GET` did that when the gateway had a parser of its own). So both take the query parameters
// cpp-httplib parsed from the query string (it decodes %XX and %uXXXX) and ask this one function.
#pragma once

#include <string>

#include <httplib.h>

namespace edfleet::http {

// The `method` query parameter of a request: absent, given exactly once (with its value), or given
// more than once (however encoded). A repeated `method` is never executed (ingest answers 400) and
// never counts as a read.
struct AlternateMethod {
  enum class Kind { kAbsent, kOne, kRepeated };
  Kind kind = Kind::kAbsent;
  std::string value;  // when kOne: exactly as decoded, case kept

  // True only for exactly one `method` whose value is GET or HEAD (case-sensitive, as executed).
  bool reads() const { return kind == Kind::kOne && (value == "GET" || value == "HEAD"); }
};

AlternateMethod alternate_method(const httplib::Params& query_parameters);

// The query string's parameters only, parsed by cpp-httplib. (httplib's req.params also holds the
// fields of a form-encoded body, where a second `method` could hide.)
httplib::Params query_parameters(const httplib::Request& req);

// alternate_method(query_parameters(req)).
AlternateMethod alternate_method(const httplib::Request& req);

}  // namespace edfleet::http
