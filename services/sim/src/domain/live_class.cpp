#include "domain/live_class.h"

#include <algorithm>
#include <array>

namespace edfleet::sim {

namespace {

using std::chrono::microseconds;
using Seconds = std::chrono::duration<double>;

microseconds secs(double s) { return std::chrono::duration_cast<microseconds>(Seconds(s)); }

struct Presence {
  std::string id;
  microseconds from;
  microseconds to;
};

// Builds the lines in any order; build_class_script sorts them.
class ScriptBuilder {
 public:
  ScriptBuilder(Rng& rng, const ClassScriptInput& input) : rng_(rng), in_(input) {}

  std::vector<ScriptLine> build() {
    const double planned = in_.planned_minutes * 60.0;
    duration_ = secs(planned * rng_.uniform(0.92, 1.08));
    add(microseconds(0), SessionStarted{in_.host_id});
    add(secs(1), ParticipantJoined{in_.host_id, "host", "web"});
    if (!in_.observer_id.empty()) join_and_stay(in_.observer_id, "observer", "web");
    for (const auto& learner : in_.attendees) learner_presence(learner);
    transcript();
    slides_and_scenes();
    for (const auto& p : present_) {
      chat(p);
      questions(p);
    }
    const int polls = 1 + (rng_.chance(0.4) ? 1 : 0);
    for (int i = 0; i < polls; ++i) poll(i);
    add(duration_ - secs(1), ParticipantLeft{in_.host_id, "left"});
    add(duration_, SessionEnded{"completed", static_cast<std::uint32_t>(duration_.count() / 1000000)});
    return std::move(lines_);
  }

 private:
  template <typename Detail>
  void add(microseconds at, Detail detail) {
    lines_.push_back({at, ClassDetail(std::move(detail))});
  }

  std::string device() {
    static constexpr std::array<double, 4> kWeights = {0.6, 0.25, 0.1, 0.05};
    static constexpr std::array<const char*, 4> kDevices = {"web", "mobile", "vr", "mr"};
    return kDevices[rng_.weighted(kWeights)];
  }

  // Leaves in the last minute, before the host.
  microseconds closing_time() { return duration_ - secs(rng_.uniform(5, 60)); }

  void join_and_stay(const std::string& id, const char* role, const std::string& dev) {
    const microseconds join = secs(std::min(rng_.exponential(60), 600.0) + 2);
    const microseconds leave = closing_time();
    add(join, ParticipantJoined{id, role, dev});
    add(leave, ParticipantLeft{id, "left"});
  }

  void learner_presence(const std::string& id) {
    const std::string dev = device();
    microseconds join = secs(std::min(rng_.exponential(75), 720.0) + 2);
    microseconds leave = closing_time();
    if (rng_.chance(0.08)) {   // leaves early
      leave = std::max(join + secs(60), secs(duration_.count() / 1e6 * rng_.uniform(0.4, 0.9)));
    }
    add(join, ParticipantJoined{id, "learner", dev});
    if (rng_.chance(0.12)) {   // drops out and comes back
      const microseconds drop = join + secs((leave - join).count() / 1e6 * rng_.uniform(0.2, 0.7));
      const microseconds back = drop + secs(rng_.uniform(20, 120));
      if (back + secs(30) < leave) {
        add(drop, ParticipantLeft{id, "disconnected"});
        present_.push_back({id, join, drop});
        add(back, ParticipantJoined{id, "learner", dev});
        join = back;
      }
    }
    add(leave, ParticipantLeft{id, "left"});
    present_.push_back({id, join, leave});
  }

  std::string_view topic() { return in_.subject->topics[rng_.index(in_.subject->topics.size())]; }

  void transcript() {
    const auto& p = phrases();
    double t = rng_.uniform(10, 30);
    const double end = duration_.count() / 1e6 - 60;
    while (t < end) {
      const double length = rng_.uniform(15, 45);
      std::string speaker = in_.host_id;
      std::string text = with_topic(p.teaching[rng_.index(p.teaching.size())], topic());
      if (rng_.chance(0.15)) {
        if (const Presence* someone = present_at(secs(t))) {
          speaker = someone->id;
          text = std::string(p.learner_lines[rng_.index(p.learner_lines.size())]);
        }
      }
      add(secs(t + length), TranscriptSegment{speaker, static_cast<std::uint32_t>(t * 1000),
                                              static_cast<std::uint32_t>((t + length) * 1000), std::move(text)});
      t += length + rng_.uniform(60, 200);
    }
  }

  void slides_and_scenes() {
    const std::string deck = in_.deck_id;
    std::uint32_t slide = 1;
    for (double t = rng_.uniform(20, 40); t < duration_.count() / 1e6 - 120; t += rng_.uniform(180, 420)) {
      add(secs(t), SlideChanged{deck, slide++});
    }
    if (rng_.chance(0.5)) {   // an immersive class moves between scenes
      const auto& scenes = phrases().scenes;
      const int changes = 1 + static_cast<int>(rng_.index(3));
      for (int i = 0; i < changes; ++i) {
        const auto& [id, name] = scenes[rng_.index(scenes.size())];
        add(secs(duration_.count() / 1e6 * rng_.uniform(0.05, 0.9)), SceneChanged{std::string(id), std::string(name)});
      }
    }
  }

  microseconds time_within(const Presence& p, microseconds end_margin) {
    const double from = p.from.count() / 1e6 + 5;
    const double to = std::max(from, (std::min(p.to, duration_ - end_margin)).count() / 1e6);
    return secs(rng_.uniform(from, to));
  }

  void chat(const Presence& p) {
    const auto& lines = phrases().chat;
    for (int n = rng_.poisson(0.8); n > 0; --n) {
      add(time_within(p, secs(10)),
          ChatMessage{next_id("m"), p.id, std::string(lines[rng_.index(lines.size())])});
    }
  }

  void questions(const Presence& p) {
    const auto& ph = phrases();
    for (int n = rng_.poisson(0.3); n > 0; --n) {
      const microseconds asked = time_within(p, secs(150));
      const std::string id = next_id("q");
      add(asked, QuestionAsked{id, p.id, with_topic(ph.questions[rng_.index(ph.questions.size())], topic())});
      const microseconds answered = asked + secs(rng_.uniform(20, 120));
      if (answered < duration_ - secs(10)) {
        add(answered, QuestionAnswered{id, in_.host_id, std::string(ph.answers[rng_.index(ph.answers.size())])});
      }
    }
  }

  void poll(int n) {
    const auto& ph = phrases();
    const microseconds created = secs(duration_.count() / 1e6 * rng_.uniform(0.25 + 0.35 * n, 0.55 + 0.3 * n));
    const microseconds closed = created + secs(rng_.uniform(80, 120));
    if (closed >= duration_ - secs(65)) return;
    const std::string id = next_id("p");
    std::vector<std::string> options = {"Very", "Somewhat", "Not yet"};
    if (rng_.chance(0.3)) options.push_back("Not sure");
    add(created, PollCreated{id, with_topic(ph.polls[rng_.index(ph.polls.size())], topic()), options});
    for (const auto& p : present_) {
      const microseconds vote = created + secs(rng_.uniform(5, 60));
      if (p.from <= vote && vote < p.to && rng_.chance(0.85)) {
        add(vote, PollVoted{id, p.id, static_cast<std::uint32_t>(rng_.index(options.size()))});
      }
    }
    add(closed, PollClosed{id});
  }

  const Presence* present_at(microseconds t) const {
    for (const auto& p : present_) {
      if (p.from <= t && t < p.to) return &p;
    }
    return nullptr;
  }

  std::string next_id(const char* kind) { return in_.id_prefix + "-" + kind + std::to_string(++serial_); }

  Rng& rng_;
  const ClassScriptInput& in_;
  microseconds duration_{0};
  std::vector<Presence> present_;
  std::vector<ScriptLine> lines_;
  int serial_ = 0;
};

}  // namespace

std::vector<ScriptLine> build_class_script(Rng& rng, const ClassScriptInput& input) {
  auto lines = ScriptBuilder(rng, input).build();
  std::stable_sort(lines.begin(), lines.end(), [](const ScriptLine& a, const ScriptLine& b) { return a.at < b.at; });
  return lines;
}

}  // namespace edfleet::sim
