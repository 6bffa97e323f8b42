// The fingerprint that decides whether a repeated event id is the same event (a harmless retry) or
// different content under a reused id. It covers everything the producer said about the event except
// received_at (ours) and trace_id (it differs between retries by design).
#pragma once

#include <string>

#include "domain/event.h"

namespace edfleet::ingest {

// A canonical, unambiguous text form of the event's content: length-prefixed envelope fields, then the
// payload fields sorted by path with typed values. Stable across protobuf versions because it is
// built from the flattened payload, not from wire bytes.
std::string canonical_form(const EventEnvelope& event);

// SHA-256 of canonical_form(), as 64 hex digits.
std::string content_hash(const EventEnvelope& event);

}  // namespace edfleet::ingest
