#include "domain/catalogue.h"

namespace edfleet::sim {

const std::vector<SubjectInfo>& subjects() {
  static const std::vector<SubjectInfo> kSubjects = {
      {"algebra", "Algebra", 1.6, DemandPattern::kAfterSchool, {"linear equations", "factoring", "quadratics", "inequalities"}},
      {"geometry", "Geometry", 0.9, DemandPattern::kAfterSchool, {"triangles", "circle theorems", "proofs", "similarity"}},
      {"calculus", "Calculus", 1.0, DemandPattern::kAfterSchool, {"limits", "derivatives", "integrals", "the chain rule"}},
      {"statistics", "Statistics", 0.7, DemandPattern::kEvening, {"probability", "distributions", "regression", "hypothesis tests"}},
      {"physics", "Physics", 0.9, DemandPattern::kAfterSchool, {"kinematics", "forces", "energy", "circuits"}},
      {"chemistry", "Chemistry", 0.8, DemandPattern::kAfterSchool, {"moles", "bonding", "equilibrium", "acids and bases"}},
      {"biology", "Biology", 0.7, DemandPattern::kAfterSchool, {"cells", "genetics", "evolution", "ecology"}},
      {"english-writing", "English writing", 0.9, DemandPattern::kEvening, {"thesis statements", "essay structure", "grammar", "citations"}},
      {"spanish", "Spanish", 0.6, DemandPattern::kEvening, {"the preterite", "ser and estar", "vocabulary", "conversation"}},
      {"sat-prep", "SAT prep", 1.1, DemandPattern::kWeekendPrep, {"reading passages", "math no-calculator", "timing", "grammar rules"}},
      {"computer-science", "Computer science", 0.8, DemandPattern::kEvening, {"loops", "recursion", "arrays", "complexity"}},
      {"economics", "Economics", 0.5, DemandPattern::kEvening, {"supply and demand", "elasticity", "market failure", "GDP"}},
  };
  return kSubjects;
}

double demand_weight(DemandPattern pattern, int weekday, int hour) {
  const bool weekend = weekday >= 5;
  switch (pattern) {
    case DemandPattern::kAfterSchool:
      if (hour < 7 || hour >= 23) return 0.02;
      if (weekend) return hour >= 10 && hour < 18 ? 1.0 : 0.4;
      if (hour >= 15 && hour < 21) return 2.6;   // after school and homework time
      return hour < 15 ? 0.3 : 0.9;
    case DemandPattern::kEvening:
      if (hour < 7 || hour >= 23) return 0.05;
      if (hour >= 18 && hour < 22) return 2.8;
      return weekend ? 0.9 : 0.5;
    case DemandPattern::kWeekendPrep:
      if (hour < 8 || hour >= 22) return 0.02;
      if (weekend) return hour >= 9 && hour < 13 ? 3.2 : 1.6;
      return hour >= 17 && hour < 21 ? 1.2 : 0.2;
  }
  return 1.0;
}

std::string tenant_slug(std::size_t index) {
  static constexpr std::string_view kNames[] = {"acme", "brightpath", "northwind", "lumen", "keystone", "tutorly"};
  if (index < std::size(kNames)) return std::string(kNames[index]);
  return "tenant-" + std::to_string(index + 1);
}

const Phrases& phrases() {
  static const Phrases kPhrases = {
      .chat = {"hi everyone", "can you see my screen?", "sorry, my mic was muted", "that makes sense now",
               "could you go back one slide?", "thanks!", "is this on the quiz?", "I got a different answer",
               "brb", "the audio is a bit choppy"},
      .questions = {"How do I know when to use {topic}?", "Can you show another example of {topic}?",
                    "Why does {topic} work that way?", "Is there a shortcut for {topic}?",
                    "What is the most common mistake with {topic}?"},
      .answers = {"Good question: start from the definition and check each step.",
                  "Let's do one more example together after this slide.",
                  "Look at the units first; they tell you which rule applies.",
                  "There is a shortcut, but learn the long way first.",
                  "Most people forget to check the edge cases."},
      .teaching = {"Today we are looking at {topic}.", "Let's start with a quick recap of {topic}.",
                   "Here is a worked example of {topic}.", "Notice what happens to {topic} when we change one value.",
                   "Try the next one on your own, then we compare.", "Let's summarise what we learned about {topic}.",
                   "For homework, practise three more problems on {topic}."},
      .learner_lines = {"I think the answer is the second one.", "Can you repeat the last step?",
                        "Oh, I see where I went wrong.", "Is that always true?"},
      .polls = {"How confident are you with {topic}?", "Which step of {topic} is hardest?",
                "Ready to try {topic} on your own?"},
      .scenes = {{"scene-lobby", "Lobby"}, {"scene-whiteboard", "Whiteboard"}, {"scene-lab", "Virtual lab"},
                 {"scene-breakout", "Breakout room"}},
  };
  return kPhrases;
}

std::string with_topic(std::string_view text, std::string_view topic) {
  std::string out;
  constexpr std::string_view kMarker = "{topic}";
  std::size_t from = 0;
  for (std::size_t at = text.find(kMarker); at != std::string_view::npos; at = text.find(kMarker, from)) {
    out.append(text.substr(from, at - from)).append(topic);
    from = at + kMarker.size();
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace edfleet::sim
