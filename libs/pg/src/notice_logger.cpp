#include "notice_logger.h"

#include <string_view>

#include "edfleet/core/log.h"

namespace edfleet::pg {

bool NoticeLogger::operator()(const char message[]) noexcept {
  try {
    std::string_view text(message);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    // "WARNING:  ..." deserves attention; NOTICE ("already exists, skipping") and below do not.
    if (text.starts_with("WARNING")) {
      core::log::warn("postgres notice", {{"notice", text}});
    } else {
      core::log::debug("postgres notice", {{"notice", text}});
    }
  } catch (...) {
    // Logging must never take the connection down.
  }
  return false;  // handled: do not pass it on to libpq's default (stderr) handler
}

}  // namespace edfleet::pg
