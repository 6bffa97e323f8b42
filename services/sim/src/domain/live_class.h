// The script of one live-class session: who joins when (and on which device), who leaves or drops
// out, what the host says (transcript segments), slides and scenes, chat, questions and answers, and
// polls with votes, ending with `ended`. Participants only act while they are in the room, every
// answer follows its question, every vote its poll, and the lines are in time order: the caller
// numbers them (sequence) and stamps them onto the timeline.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "domain/catalogue.h"
#include "domain/random.h"
#include "domain/sim_event.h"

namespace edfleet::sim {

struct ClassScriptInput {
  std::string host_id;
  std::vector<std::string> attendees;   // learners who come (the caller decides who)
  std::string observer_id;              // empty = none
  const SubjectInfo* subject = nullptr;
  std::string deck_id;
  std::string id_prefix;                // prefix of message, question and poll ids; unique per session
  std::uint32_t planned_minutes = 45;
};

struct ScriptLine {
  std::chrono::microseconds at;         // from the session's start
  ClassDetail detail;
};

// Starts with `started` at 0 and ends with `ended`; sorted by `at` (ties keep their logical order).
std::vector<ScriptLine> build_class_script(Rng& rng, const ClassScriptInput& input);

}  // namespace edfleet::sim
