#include "adapters/zoneinfo_time_zones.h"

#include <fstream>
#include <sstream>

namespace edfleet::rules {

ZoneinfoTimeZones::ZoneinfoTimeZones(std::string directory) : directory_(std::move(directory)) {}

const TimeZone* ZoneinfoTimeZones::find(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = cache_.find(name); it != cache_.end()) return it->second.get();
  std::unique_ptr<TimeZone> zone;
  const bool safe = !name.empty() && name.size() < 64 && name.find("..") == std::string::npos && name[0] != '/';
  if (name == "UTC") {
    zone = std::make_unique<TimeZone>();
  } else if (safe) {
    std::ifstream in(directory_ + "/" + name, std::ios::binary);
    if (in) {
      std::stringstream buffer;
      buffer << in.rdbuf();
      if (auto parsed = TimeZone::from_tzif(name, buffer.str())) zone = std::make_unique<TimeZone>(std::move(*parsed));
    }
  }
  const TimeZone* result = zone.get();
  cache_.emplace(name, std::move(zone));
  return result;
}

}  // namespace edfleet::rules
