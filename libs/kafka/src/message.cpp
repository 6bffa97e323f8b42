#include "edfleet/kafka/message.h"

namespace edfleet::kafka {

std::optional<std::string> ConsumedMessage::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

}  // namespace edfleet::kafka
