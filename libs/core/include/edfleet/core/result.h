// Result<T>: a value or a typed Error, returned by domain code instead of throwing.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace edfleet::core {

// What kind of failure an Error is; transports map it to a gRPC status or HTTP status.
enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kConflict,            // the request contradicts stored state (e.g. same id, different content)
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,   // a rate, quota or concurrency limit (HTTP 429)
  kTooLarge,            // a request, batch or message over its size limit (HTTP 413; gRPC RESOURCE_EXHAUSTED)
  kUnavailable,         // a dependency is down; retrying later may succeed
  kDeadlineExceeded,
  kUnimplemented,
  kInternal,
};

// A failure a caller can act on: a code, a sentence for people, and the field it concerns (if any).
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;

  static Error invalid(std::string message, std::string field = {}) {
    return {ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
  }
  static Error not_found(std::string message) { return {ErrorCode::kNotFound, std::move(message), {}}; }
  static Error unavailable(std::string message) { return {ErrorCode::kUnavailable, std::move(message), {}}; }
  static Error internal(std::string message) { return {ErrorCode::kInternal, std::move(message), {}}; }
};

std::string_view error_code_name(ErrorCode code);

// A value of T or an Error. Deliberately small: ok(), value(), error(), and implicit construction
// from either side so that `return Error::invalid(...)` and `return value` both read naturally.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}       // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace edfleet::core
