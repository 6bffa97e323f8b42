#include "domain/event_fact.h"

#include <cmath>
#include <cstdint>

#include "domain/queries.h"
#include "edfleet/core/ids.h"
#include "edfleet/core/time_format.h"

namespace edfleet::analytics {

namespace {

bool is_type_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// [a-z][a-z0-9_]*(\.[a-z0-9_]+)+ : "quiz.submitted", "session.participant_joined".
bool is_event_type(std::string_view type) {
  if (type.empty() || type.size() > kMaxTypeLength) return false;
  if (type.front() < 'a' || type.front() > 'z') return false;
  bool dotted = false;
  char previous = 0;
  for (char c : type) {
    if (c == '.') {
      if (previous == '.') return false;
      dotted = true;
    } else if (!is_type_char(c)) {
      return false;
    }
    previous = c;
  }
  return dotted && previous != '.';
}

}  // namespace

bool is_storable_text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong encodings, surrogates and values beyond U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

core::Result<void> validate_fact(const EventFact& fact) {
  if (!is_tenant_slug(fact.tenant)) {
    return core::Error::invalid("tenant must match [a-z0-9][a-z0-9_-]{0,62}", "tenant");
  }
  if (!core::is_uuid(fact.event_id)) return core::Error::invalid("id must be a UUID", "id");
  if (!is_event_type(fact.type)) {
    return core::Error::invalid("type must be a dotted lowercase event type", "type");
  }
  if (fact.learner_id.size() > kMaxLearnerIdLength || !is_storable_text(fact.learner_id)) {
    return core::Error::invalid("learner_id must be UTF-8 text of at most 256 bytes",
                                "subject.learner_id");
  }
  static const auto kEarliest = *core::parse_day("1900-01-01");
  static const auto kLatest = *core::parse_day("9999-12-31");
  if (fact.occurred_at < kEarliest || fact.occurred_at > kLatest) {
    return core::Error::invalid("occurred_at must be between 1900 and 9999", "occurred_at");
  }
  if (fact.quiz_percent && !std::isfinite(*fact.quiz_percent)) {
    return core::Error::invalid("quiz score must be finite", "quiz_submission.score");
  }
  return {};
}

}  // namespace edfleet::analytics
