// Time zones from the system's zoneinfo files (Debian's tzdata), cached by name.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "domain/time_zone.h"

namespace edfleet::rules {

class ZoneinfoTimeZones {
 public:
  explicit ZoneinfoTimeZones(std::string directory = "/usr/share/zoneinfo");
  // The zone named `name` ("Europe/Paris", "UTC"), or nullptr when there is no such zone.
  // The pointer stays valid for the object's lifetime. Thread-safe.
  const TimeZone* find(const std::string& name);

 private:
  std::string directory_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<TimeZone>> cache_;  // nullptr: known missing
};

}  // namespace edfleet::rules
