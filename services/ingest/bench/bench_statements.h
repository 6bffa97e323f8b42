// Realistic xAPI statements for the LRS benchmark, about 1.5 KB each as a client sends them: an actor
// with an account, a verb with display, an Activity with a definition, a result with score and
// duration, a context with registration, contextActivities (parent, grouping, category), platform,
// language and extensions, and a timestamp. Built from a seeded population (learners, courses,
// modules, verbs, registrations), so query parameters can name what is in the store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edfleet::bench::xapi {

// A population of learners, activities, verbs and registrations, all derived from indexes, so the
// benchmark can generate a million statements and still know what to query for.
struct Population {
  int learners = 10000;
  int activities = 2000;
  int verbs = 10;
  int registrations = 50000;
};

// A fast random v4 UUID source (not cryptographic): ids of statements the benchmark sends.
class UuidSource {
 public:
  explicit UuidSource(std::uint64_t seed) : state_(seed) {}
  std::string next();
  void write(char* out);  // 36 characters, no terminator

 private:
  std::uint64_t state_;
};

// The same UUID for the same index, for statements the benchmark stores itself and fetches by id.
std::string indexed_uuid(std::uint64_t index, std::uint64_t salt);

std::string learner_name(int learner);           // "learner-00042"
std::string learner_agent_json(int learner);     // the actor as the agent= query parameter
std::string verb_id(int verb);                   // an ADL verb IRI
std::string activity_id(int activity);           // "https://lms.example.com/courses/c-017/modules/m-00042"
std::string registration_id(int registration);   // a UUID

struct StatementSpec {
  int learner = 0;
  int activity = 0;
  int verb = 0;
  int registration = 0;
  std::uint64_t seed = 0;      // varies score, duration and extension values
  std::string id;              // empty: a 36-character placeholder the caller overwrites
  std::string timestamp;       // RFC 3339, e.g. "2026-11-24T10:15:42.123Z"
};

// The statement a client sends, "id" first (at kIdOffset) so a template can be re-used with new ids.
std::string client_statement(const StatementSpec& spec);
inline constexpr std::size_t kIdOffset = 7;   // {"id":"<36 characters>"
inline constexpr std::size_t kIdLength = 36;

// The statement as the LRS stores it: the client's plus stored, authority and version (what the
// materialiser writes into xapi_statements.statement).
std::string stored_statement(const StatementSpec& spec, const std::string& stored, const std::string& tenant);

// Request bodies of `batch` statements (batch 1: one object; otherwise an array) from pre-built
// templates: next() overwrites every statement id with a fresh UUID, so every request stores new
// statements, at the cost of a copy.
class BodySource {
 public:
  BodySource(const Population& population, int batch, std::uint64_t seed, int templates = 64);
  const std::string& next();
  double mean_statement_bytes() const { return mean_statement_bytes_; }

 private:
  std::vector<std::string> templates_;              // whole bodies
  std::vector<std::vector<std::size_t>> id_offsets_;  // where each statement's id sits in its body
  std::string current_;
  std::size_t next_template_ = 0;
  UuidSource uuids_;
  double mean_statement_bytes_ = 0;
};

}  // namespace edfleet::bench::xapi
