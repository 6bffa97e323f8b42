// The built-in rule packs, embedded at build time from services/rules/packs/<pack>/*.rule.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace edfleet::rules {

struct RulePackFile {
  const char* pack;   // the folder under packs/
  const char* file;   // e.g. "learning/churn_signal.rule"
  const char* text;
};

const std::vector<RulePackFile>& builtin_pack_files();  // generated

std::vector<std::string> pack_names();
// Every file of the pack, concatenated; nullopt for an unknown pack.
std::optional<std::string> pack_text(const std::string& pack);

}  // namespace edfleet::rules
