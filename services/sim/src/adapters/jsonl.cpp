#include "adapters/jsonl.h"

#include <iostream>
#include <stdexcept>

#include <google/protobuf/util/json_util.h>

#include "event_file.h"

namespace edfleet::sim {

std::string to_json(const events::v1::Event& event) {
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(event, &out);
  if (!status.ok()) throw std::runtime_error("cannot write event " + event.id() + " as JSON: " + std::string(status.message()));
  return out;
}

core::Result<std::vector<events::v1::Event>> read_events_file(const std::string& path) {
  auto text = cli::read_input(path, std::cin);
  if (!text.ok()) return text.error();
  auto items = cli::split_events(*text);
  if (!items.ok()) return core::Error::invalid(path + ": " + items.error().message);
  std::vector<events::v1::Event> events;
  events.reserve(items->size());
  for (const auto& item : *items) {
    events::v1::Event event;
    const auto status = google::protobuf::util::JsonStringToMessage(item.json, &event);
    if (!status.ok()) {
      return core::Error::invalid(path + ":" + std::to_string(item.line) + ": not an edfleet.events.v1.Event: " +
                                  std::string(status.message()));
    }
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace edfleet::sim
