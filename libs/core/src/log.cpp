#include "edfleet/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "edfleet/core/clock.h"
#include "edfleet/core/time_format.h"

namespace edfleet::core::log {
namespace {

// A plain writer rather than spdlog: every line is already one JSON object built with nlohmann, so a
// mutex around fwrite is all that is needed and keeps lines whole across threads.
struct State {
  std::mutex mutex;
  std::string service = "edfleet";
  std::atomic<Level> level{Level::kInfo};
};

State& state() {
  static State s;
  return s;
}

thread_local std::string t_trace_id;

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

}  // namespace

void init(std::string_view service, std::string_view level) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.service = std::string(service);
  s.level = parse_level(level);
}

Level parse_level(std::string_view name) {
  if (name == "debug" || name == "trace") return Level::kDebug;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  if (name == "off") return Level::kOff;
  return Level::kInfo;
}

bool enabled(Level level) { return level != Level::kOff && level >= state().level.load(); }

void write(Level level, std::string_view message, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  auto& s = state();
  nlohmann::json line;
  line["ts"] = format_rfc3339(SystemClock::instance().now());
  line["level"] = level_name(level);
  {
    std::lock_guard lock(s.mutex);
    line["service"] = s.service;
  }
  if (!t_trace_id.empty()) line["trace_id"] = t_trace_id;
  line["msg"] = message;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  } else if (!fields.is_null()) {
    line["detail"] = fields;
  }
  // Replace invalid UTF-8 rather than throw: a log call must never take the service down.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard lock(s.mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

TraceScope::TraceScope(std::string trace_id) : previous_(std::move(t_trace_id)) {
  t_trace_id = std::move(trace_id);
}

TraceScope::~TraceScope() { t_trace_id = std::move(previous_); }

const std::string& current_trace_id() { return t_trace_id; }

}  // namespace edfleet::core::log
