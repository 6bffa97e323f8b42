#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "domain/event.h"

namespace edfleet::rules {

namespace {
struct Registry {
  std::shared_mutex mutex;
  std::unordered_map<std::string, FieldId> ids;
  std::vector<std::string> paths{""};  // id 0 is "no field"
};
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

FieldId field_id(std::string_view path) {
  auto& r = registry();
  {
    std::shared_lock lock(r.mutex);
    auto it = r.ids.find(std::string(path));
    if (it != r.ids.end()) return it->second;
  }
  std::unique_lock lock(r.mutex);
  auto [it, inserted] = r.ids.emplace(std::string(path), static_cast<FieldId>(r.paths.size()));
  if (inserted) r.paths.emplace_back(path);
  return it->second;
}

std::string field_path(FieldId id) {
  auto& r = registry();
  std::shared_lock lock(r.mutex);
  return id < r.paths.size() ? r.paths[id] : std::string();
}

}  // namespace edfleet::rules
