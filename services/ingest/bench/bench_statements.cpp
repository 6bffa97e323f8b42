#include "bench_statements.h"

#include <array>
#include <cstdio>
#include <stdexcept>

namespace edfleet::bench::xapi {
namespace {

constexpr std::array<std::pair<const char*, const char*>, 10> kVerbs = {{
    {"completed", "abgeschlossen"},
    {"attempted", "versucht"},
    {"passed", "bestanden"},
    {"failed", "nicht bestanden"},
    {"experienced", "erlebt"},
    {"answered", "beantwortet"},
    {"launched", "gestartet"},
    {"initialized", "initialisiert"},
    {"terminated", "beendet"},
    {"progressed", "fortgeschritten"},
}};

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void write_uuid(std::uint64_t hi, std::uint64_t lo, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;   // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;   // RFC 4122 variant
  int at = 0;
  const auto put = [&](std::uint64_t value, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) out[at++] = kHex[(value >> (4 * i)) & 15];
  };
  put(hi >> 32, 8);
  out[at++] = '-';
  put(hi >> 16, 4);
  out[at++] = '-';
  put(hi, 4);
  out[at++] = '-';
  put(lo >> 48, 4);
  out[at++] = '-';
  put(lo, 12);
}

std::string padded(int value, int width) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%0*d", width, value);
  return buffer;
}

int course_of(int activity) { return activity / 20; }

}  // namespace

void UuidSource::write(char* out) {
  const std::uint64_t hi = splitmix(state_);
  const std::uint64_t lo = splitmix(state_);
  write_uuid(hi, lo, out);
}

std::string UuidSource::next() {
  std::string out(kIdLength, '0');
  write(out.data());
  return out;
}

std::string indexed_uuid(std::uint64_t index, std::uint64_t salt) {
  std::uint64_t state = index * 0x2545f4914f6cdd1dULL + salt;
  const std::uint64_t hi = splitmix(state);
  const std::uint64_t lo = splitmix(state);
  std::string out(kIdLength, '0');
  write_uuid(hi, lo, out.data());
  return out;
}

std::string learner_name(int learner) { return "learner-" + padded(learner, 5); }

std::string learner_agent_json(int learner) {
  return R"({"objectType":"Agent","account":{"homePage":"https://lms.example.com","name":")" + learner_name(learner) +
         R"("}})";
}

std::string verb_id(int verb) {
  return std::string("http://adlnet.gov/expapi/verbs/") + kVerbs[static_cast<std::size_t>(verb) % kVerbs.size()].first;
}

std::string activity_id(int activity) {
  return "https://lms.example.com/courses/c-" + padded(course_of(activity), 3) + "/modules/m-" + padded(activity, 5);
}

std::string registration_id(int registration) { return indexed_uuid(static_cast<std::uint64_t>(registration), 77); }

std::string client_statement(const StatementSpec& spec) {
  std::uint64_t state = spec.seed;
  const std::uint64_t r = splitmix(state);
  const int raw = 40 + static_cast<int>(r % 61);
  const int minutes = 3 + static_cast<int>((r >> 8) % 40);
  const int seconds = static_cast<int>((r >> 16) % 60);
  const int attempts = 1 + static_cast<int>((r >> 24) % 4);
  const auto& verb = kVerbs[static_cast<std::size_t>(spec.verb) % kVerbs.size()];
  const std::string course = "https://lms.example.com/courses/c-" + padded(course_of(spec.activity), 3);
  const std::string activity = activity_id(spec.activity);
  char scaled[16];
  std::snprintf(scaled, sizeof scaled, "%.2f", raw / 100.0);

  std::string s;
  s.reserve(1600);
  s += R"({"id":")";
  s += spec.id.empty() ? std::string(kIdLength, '0') : spec.id;
  s += R"(","actor":{"objectType":"Agent","name":"Learner )" + padded(spec.learner, 5) +
       R"(","account":{"homePage":"https://lms.example.com","name":")" + learner_name(spec.learner) + R"("}},)";
  s += R"("verb":{"id":")" + verb_id(spec.verb) + R"(","display":{"en-US":")" + verb.first + R"(","de-DE":")" +
       verb.second + R"("}},)";
  s += R"("object":{"objectType":"Activity","id":")" + activity + R"(","definition":{"name":{"en-US":"Module )" +
       std::to_string(spec.activity) +
       R"(: practice in the virtual lab"},"description":{"en-US":"A hands-on module in the virtual lab: )"
       R"(set up the experiment, measure, answer the review questions."},)";
  s += R"("type":"http://adlnet.gov/expapi/activities/module","moreInfo":")" + activity +
       R"(/info","extensions":{"https://lms.example.com/xapi/extensions/difficulty":"intermediate",)"
       R"("https://lms.example.com/xapi/extensions/estimated-minutes":25}}},)";
  s += R"("result":{"score":{"scaled":)" + std::string(scaled) + R"(,"raw":)" + std::to_string(raw) +
       R"(,"min":0,"max":100},"success":)" + (raw >= 60 ? "true" : "false") + R"(,"completion":true,"duration":"PT)" +
       std::to_string(minutes) + "M" + std::to_string(seconds) +
       R"(S","extensions":{"https://lms.example.com/xapi/extensions/attempts":)" + std::to_string(attempts) + "}},";
  s += R"("context":{"registration":")" + registration_id(spec.registration) +
       R"(","contextActivities":{"parent":[{"objectType":"Activity","id":")" + course +
       R"("}],"grouping":[{"objectType":"Activity","id":"https://lms.example.com/programs/p-)" +
       std::to_string(course_of(spec.activity) % 7) +
       R"("}],"category":[{"objectType":"Activity","id":"https://w3id.org/xapi/cmi5/context/categories/moveon"}]},)";
  s += R"("platform":"edfleet VR 2.4","language":"en-US",)"
       R"("extensions":{"https://w3id.org/xapi/cmi5/context/extensions/sessionid":")" +
       indexed_uuid(static_cast<std::uint64_t>(spec.registration), 91) +
       R"(","https://lms.example.com/xapi/extensions/device":"Quest 3"}},)";
  s += R"("timestamp":")" + spec.timestamp + R"("})";
  return s;
}

std::string stored_statement(const StatementSpec& spec, const std::string& stored, const std::string& tenant) {
  std::string s = client_statement(spec);
  s.pop_back();   // the closing brace
  s += R"(,"stored":")" + stored + R"(","authority":{"account":{"homePage":"https://edfleet.local/tenants/)" + tenant +
       R"(","name":"bench"},"name":"bench","objectType":"Agent"},"version":"1.0.0"})";
  return s;
}

BodySource::BodySource(const Population& population, int batch, std::uint64_t seed, int templates) : uuids_(seed) {
  if (batch < 1 || templates < 1) throw std::invalid_argument("BodySource: batch and templates must be positive");
  std::uint64_t state = seed;
  std::size_t statements = 0, bytes = 0;
  for (int t = 0; t < templates; ++t) {
    std::string body = batch == 1 ? "" : "[";
    std::vector<std::size_t> offsets;
    for (int i = 0; i < batch; ++i) {
      StatementSpec spec;
      spec.learner = static_cast<int>(splitmix(state) % static_cast<std::uint64_t>(population.learners));
      spec.activity = static_cast<int>(splitmix(state) % static_cast<std::uint64_t>(population.activities));
      spec.verb = static_cast<int>(splitmix(state) % static_cast<std::uint64_t>(population.verbs));
      spec.registration = static_cast<int>(splitmix(state) % static_cast<std::uint64_t>(population.registrations));
      spec.seed = splitmix(state);
      spec.timestamp = "2026-11-24T10:" + padded(static_cast<int>(splitmix(state) % 60), 2) + ":42.123Z";
      if (i > 0) body += ",";
      offsets.push_back(body.size() + kIdOffset);
      const std::string statement = client_statement(spec);
      bytes += statement.size();
      ++statements;
      body += statement;
    }
    if (batch != 1) body += "]";
    templates_.push_back(std::move(body));
    id_offsets_.push_back(std::move(offsets));
  }
  mean_statement_bytes_ = static_cast<double>(bytes) / static_cast<double>(statements);
}

const std::string& BodySource::next() {
  const std::size_t t = next_template_++ % templates_.size();
  current_ = templates_[t];
  for (const std::size_t offset : id_offsets_[t]) uuids_.write(current_.data() + offset);
  return current_;
}

}  // namespace edfleet::bench::xapi
