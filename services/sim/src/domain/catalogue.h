// The fixed vocabulary of the simulated marketplace: tenants, subjects with their demand by hour and
// weekday, and the phrases live classes are made of. Data only; the world model draws from it.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace edfleet::sim {

// When learners of a subject want sessions: school subjects peak after school on weekdays, languages
// in the evening, test prep at weekends.
enum class DemandPattern { kAfterSchool, kEvening, kWeekendPrep };

struct SubjectInfo {
  std::string_view id;         // subject_area, e.g. "algebra"
  std::string_view title;      // "Algebra"
  double popularity;           // relative share of learners
  DemandPattern pattern;
  std::array<std::string_view, 4> topics;   // for titles, chat and transcripts
};

const std::vector<SubjectInfo>& subjects();

// Relative demand for a subject at an hour (0..23) of a weekday (0 = Monday); mean about 1 over a week.
double demand_weight(DemandPattern pattern, int weekday, int hour);

// The tenant slug for index i (0-based): a few marketplace names, then "tenant-<i+1>".
std::string tenant_slug(std::size_t index);

// Phrase banks for live classes (the caller fills {topic} itself).
struct Phrases {
  std::vector<std::string_view> chat;
  std::vector<std::string_view> questions;     // contain "{topic}"
  std::vector<std::string_view> answers;
  std::vector<std::string_view> teaching;      // transcript lines of the host, contain "{topic}"
  std::vector<std::string_view> learner_lines; // transcript lines of learners
  std::vector<std::string_view> polls;         // contain "{topic}"
  std::vector<std::pair<std::string_view, std::string_view>> scenes;   // (id, name)
};
const Phrases& phrases();

// `text` with every "{topic}" replaced by `topic`.
std::string with_topic(std::string_view text, std::string_view topic);

}  // namespace edfleet::sim
