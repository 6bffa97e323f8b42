// Structured logging: one JSON object per line on stderr, with the service name and the current
// request's trace id, so that logs from the fleet can be joined across services.
//
//   log::info("published batch", {{"accepted", 97}, {"rejected", 3}});
//   -> {"ts":"2026-11-25T09:30:00.123456Z","level":"info","service":"ingest",
//       "trace_id":"4bf9...","msg":"published batch","accepted":97,"rejected":3}
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace edfleet::core::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

// Sets the service name and the minimum level ("debug", "info", "warn", "error", "off").
// Unknown level names fall back to info. Safe to call again (tests do).
void init(std::string_view service, std::string_view level = "info");

// Parses a level name; nullopt-like kOff is never returned for unknown names (they give kInfo).
Level parse_level(std::string_view name);
bool enabled(Level level);

void write(Level level, std::string_view message, const nlohmann::json& fields = nullptr);
inline void debug(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kDebug, m, f); }
inline void info(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kInfo, m, f); }
inline void warn(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kWarn, m, f); }
inline void error(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kError, m, f); }

// The trace id that log lines on this thread carry. Transports open a TraceScope per request or per
// consumed message; the previous id is restored when the scope ends.
class TraceScope {
 public:
  explicit TraceScope(std::string trace_id);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  std::string previous_;
};

const std::string& current_trace_id();

}  // namespace edfleet::core::log
