#include "edfleet/http/alternate_syntax.h"

namespace edfleet::http {

AlternateMethod alternate_method(const httplib::Params& query_parameters) {
  AlternateMethod method;
  const auto [first, last] = query_parameters.equal_range("method");
  if (first == last) return method;
  if (std::next(first) != last) {
    method.kind = AlternateMethod::Kind::kRepeated;
    return method;
  }
  method.kind = AlternateMethod::Kind::kOne;
  method.value = first->second;
  return method;
}

httplib::Params query_parameters(const httplib::Request& req) {
  httplib::Params params;
  const auto question = req.target.find('?');
  if (question != std::string::npos) httplib::detail::parse_query_text(req.target.substr(question + 1), params);
  return params;
}

AlternateMethod alternate_method(const httplib::Request& req) { return alternate_method(query_parameters(req)); }

}  // namespace edfleet::http
