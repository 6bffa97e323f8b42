// The X-Experience-API-Consistent-Through watermark: a `stored` time up to which every statement is
// visible to GET (materialised into Postgres), across restarts and replicas.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <utility>

#include "domain/event.h"
#include "edfleet/core/clock.h"

namespace edfleet::ingest::xapi {

// Two sources of truth, combined (README "Consistent-Through"):
//  - this process's statements: registered as pending (with their stored time) before they are
//    published and settled when the materialiser has written them (or publishing failed);
//  - everything else on the topic (written before a restart, or by another replica): the caught-up
//    checks of the consistency watcher. caught_up(as_of) says every record on the topic when its
//    ends were read at `as_of` is materialised.
// While held (start-up: hold() until the first caught_up()), the watermark is the floor (a value
// persisted by an earlier process) at most. Then it is just before the oldest pending stored time, or
// now when nothing is pending. A pending statement whose stored time is older than `as_of -
// publish_bound` is settled by caught_up too: it reached the topic before `as_of` or never will, so a
// statement materialised by another replica (which owns its partition) does not pend forever.
// Once records_lost(), the watermark never moves again in this process: it must not pass the
// stored time of a statement the store will never hold. Thread-safe.
class ConsistencyTracker {
 public:
  // `publish_bound`: the longest a statement takes from its stored time to the topic (the producer's
  // delivery timeout plus a margin); nullopt: pending statements are settled only by settled().
  explicit ConsistencyTracker(const core::Clock& clock,
                              std::optional<std::chrono::microseconds> publish_bound = std::nullopt)
      : clock_(clock), publish_bound_(publish_bound) {}

  void pending(std::span<const EventKey> keys, core::Timestamp stored);
  void settled(const EventKey& key);
  // Vouch for nothing after `floor` until caught_up() (called again while held: the higher floor).
  void hold(core::Timestamp floor);
  // Every record on the topic when its ends were read at `as_of` is materialised: releases the hold
  // and settles pending statements older than as_of - publish_bound.
  void caught_up(core::Timestamp as_of);
  core::Timestamp consistent_through() const;
  // Records of the topic may be gone unread (the materialiser's position was out of range): from now
  // on the watermark stays where it is, since statements stored after it may never be materialised.
  // Reported loudly by the caller; lasts for this process.
  void records_lost();
  bool lost() const;
  bool held() const;
  std::size_t pending_count() const;

 private:
  core::Timestamp through_locked(core::Timestamp now) const;

  const core::Clock& clock_;
  const std::optional<std::chrono::microseconds> publish_bound_;
  mutable std::mutex mutex_;
  std::map<EventKey, core::Timestamp> pending_;
  std::set<std::pair<core::Timestamp, EventKey>> times_;  // pending_, by stored time
  std::optional<core::Timestamp> floor_;  // set while held
  std::optional<core::Timestamp> frozen_;  // set once records were lost
};

}  // namespace edfleet::ingest::xapi
