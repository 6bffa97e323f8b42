#include "domain/packs.h"

#include <set>

namespace edfleet::rules {

std::vector<std::string> pack_names() {
  std::set<std::string> names;
  for (const auto& f : builtin_pack_files()) names.insert(f.pack);
  return {names.begin(), names.end()};
}

std::optional<std::string> pack_text(const std::string& pack) {
  std::string text;
  bool found = false;
  for (const auto& f : builtin_pack_files()) {
    if (pack != f.pack) continue;
    found = true;
    text += f.text;
    text += "\n";
  }
  if (!found) return std::nullopt;
  return text;
}

}  // namespace edfleet::rules
