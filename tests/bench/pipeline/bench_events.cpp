#include "bench_events.h"

#include <cstdio>
#include <stdexcept>

#include <google/protobuf/util/json_util.h>

#include "edfleet/kafka/cloud_events.h"
#include "event_mix.h"

namespace edfleet::bench {

std::string Population::tenant(int index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "tenant-%02d", index);
  return buffer;
}

std::string Population::learner(int index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "learner-%05d", index);
  return buffer;
}

core::Timestamp to_timestamp(const google::protobuf::Timestamp& t) {
  return core::Timestamp{std::chrono::seconds{t.seconds()} + std::chrono::microseconds{t.nanos() / 1000}};
}

void set_timestamp(google::protobuf::Timestamp& out, core::Timestamp t) {
  const auto micros = t.time_since_epoch().count();
  out.set_seconds(micros / 1000000);
  out.set_nanos(static_cast<std::int32_t>(micros % 1000000) * 1000);
}

EventFactory::EventFactory(Population population, std::uint64_t seed) : population_(population), rng_(seed) {
  // The end-to-end mix is ~90% new valid events of twelve families; keep those as templates.
  const auto mix = e2e::make_event_mix(2000, 500, core::SystemClock::instance().now(), seed);
  for (const auto& batch : mix.batches) {
    for (std::size_t i = 0; i < batch.events.size(); ++i) {
      if (!batch.expected[i].accepted || batch.expected[i].duplicate) continue;
      templates_.push_back(batch.events[i]);
      if (!batch.events[i].subject().learner_id().empty()) learner_templates_.push_back(templates_.size() - 1);
    }
  }
  if (templates_.empty() || learner_templates_.empty()) throw std::logic_error("event mix gave no templates");
}

events::v1::Event EventFactory::from_template(const events::v1::Event& templ, const std::string& tenant,
                                              const std::string& learner, core::Timestamp at) {
  events::v1::Event e = templ;
  e.set_id(e2e::format_uuid(rng_(), rng_()));
  e.set_tenant(tenant);
  e.set_source("lms." + tenant + ".example");
  if (!e.subject().learner_id().empty()) e.mutable_subject()->set_learner_id(learner);
  // A new event of a live class takes a sequence no other holds (ingest keeps them unique per session).
  if (e.has_class_session()) e.mutable_class_session()->set_sequence(++sequence_);
  set_timestamp(*e.mutable_occurred_at(), at);
  e.clear_received_at();
  e.clear_trace_id();
  return e;
}

events::v1::Event EventFactory::next(std::optional<core::Timestamp> at) {
  const auto& templ = templates_[rng_() % templates_.size()];
  const int tenant = static_cast<int>(rng_() % static_cast<std::uint64_t>(population_.tenants));
  const int learner = static_cast<int>(rng_() % static_cast<std::uint64_t>(population_.learners_per_tenant));
  if (!at) {
    const auto span = std::chrono::seconds(std::int64_t{86400} * population_.days);
    at = core::SystemClock::instance().now() -
         std::chrono::seconds(static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(span.count())));
  }
  return from_template(templ, Population::tenant(tenant), Population::learner(learner), *at);
}

events::v1::Event EventFactory::next_for(const std::string& tenant, const std::string& learner, core::Timestamp at) {
  return from_template(templates_[learner_templates_[rng_() % learner_templates_.size()]], tenant, learner, at);
}

std::vector<events::v1::Event> EventFactory::many(std::size_t count, std::optional<core::Timestamp> at) {
  std::vector<events::v1::Event> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(next(at));
  return out;
}

kafka::OutgoingMessage ingest_record(const events::v1::Event& event, std::string_view topic, core::Timestamp received_at) {
  events::v1::Event stamped = event;
  set_timestamp(*stamped.mutable_received_at(), received_at);
  // ingest gives events without a trace id the request's (random); any W3C trace id has its size.
  if (stamped.trace_id().empty()) {
    std::string trace = event.id();   // a UUID without its dashes: 32 lowercase hex digits
    std::erase(trace, '-');
    stamped.set_trace_id(trace);
  }
  const auto& s = event.subject();
  const std::string& subject = !s.learner_id().empty()   ? s.learner_id()
                               : !s.tutor_id().empty()   ? s.tutor_id()
                               : !s.session_id().empty() ? s.session_id()
                               : !s.course_id().empty()  ? s.course_id()
                                                         : event.id();
  kafka::OutgoingMessage message;
  message.topic = std::string(topic);
  message.key = event.tenant() + "/" + subject;
  message.value = stamped.SerializeAsString();
  message.headers = kafka::cloud_event_headers(
      {event.id(), event.type(), event.source(), subject, to_timestamp(event.occurred_at())});
  return message;
}

std::string json_array(const std::vector<events::v1::Event>& events, std::size_t from, std::size_t count) {
  std::string body = "[";
  std::string one;
  for (std::size_t i = from; i < from + count && i < events.size(); ++i) {
    one.clear();
    if (!google::protobuf::util::MessageToJsonString(events[i], &one).ok()) {
      throw std::runtime_error("cannot write event " + events[i].id() + " as JSON");
    }
    if (body.size() > 1) body += ",";
    body += one;
  }
  body += "]";
  return body;
}

}  // namespace edfleet::bench
