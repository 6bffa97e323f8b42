#include "domain/xapi/store_statements.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>
#include <utility>

#include "domain/xapi/attachments.h"
#include "domain/xapi/statement_form.h"
#include "domain/xapi/statement_validation.h"
#include "edfleet/core/log.h"

namespace edfleet::ingest::xapi {
namespace {

using nlohmann::json;

std::string where(bool batch, std::size_t index) { return batch ? "[" + std::to_string(index) + "]" : std::string(); }

// The field an error about a statement's id names: "[3].id" in a batch, "id" for one statement.
std::string id_field(bool batch, std::size_t index) { return batch ? where(batch, index) + ".id" : std::string("id"); }

std::string statement_name(bool batch, std::size_t index) {
  return batch ? "statement [" + std::to_string(index) + "]" : std::string("the statement");
}

// Without cryptography there are no parts to hash and no JWS to verify: the attachment rules still
// apply (every attachment then needs a fileUrl, and signatures are refused).
struct NoCrypto final : JwsVerifier {
  std::optional<std::string> sha2_hex(std::string_view, std::size_t) override { return std::nullopt; }
  core::Result<VerifiedJws> verify(std::string_view) override {
    return core::Error::invalid("this LRS cannot verify signatures");
  }
};

bool has_attachments(const json& statement) {
  if (!statement.is_object()) return false;
  if (statement.contains("attachments")) return true;
  const auto object = statement.find("object");
  return object != statement.end() && object->is_object() && object->contains("attachments");
}

// The text of `statement` as stored: with its id, stored and authority, and version and timestamp when
// it has none (timestamp SHOULD* be set to stored when absent). The same text as setting those members
// and dumping the whole tree (members in key order, no spaces), without copying the statement.
std::string as_stored(const json& statement, const std::string& id, const std::string& stored_text,
                      const json& authority, Version version) {
  const json id_value = id;
  const json stored_value = stored_text;
  const json version_value = version == Version::k2_0 ? "2.0.0" : "1.0.0";
  std::vector<std::pair<std::string_view, const json*>> members;
  members.reserve(statement.size() + 5);
  for (const auto& [key, value] : statement.get_ref<const json::object_t&>()) {
    if (key != "id" && key != "stored" && key != "authority") members.emplace_back(key, &value);
  }
  members.emplace_back("id", &id_value);
  members.emplace_back("stored", &stored_value);
  members.emplace_back("authority", &authority);
  if (!statement.contains("version")) members.emplace_back("version", &version_value);
  if (!statement.contains("timestamp")) members.emplace_back("timestamp", &stored_value);
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string text = "{";
  for (const auto& [key, value] : members) {
    if (text.size() > 1) text += ',';
    text += json(key).dump();
    text += ':';
    text += value->dump();
  }
  text += '}';
  return text;
}

}  // namespace

std::string_view version_in_use(Version version) { return version == Version::k2_0 ? "2.0.0" : "1.0.3"; }

json authority_for(const std::string& tenant, const std::string& principal) {
  return {{"objectType", "Agent"},
          {"name", principal.empty() ? tenant : principal},
          {"account", {{"homePage", "https://edfleet.local/tenants/" + tenant}, {"name", principal.empty() ? tenant : principal}}}};
}

StoreStatements::StoreStatements(EventPublisher& publisher, AcceptedEventLedger& ledger, XapiPayloadEncoder& encoder,
                                 core::Clock& clock, core::IdGenerator& ids, StoreSettings settings,
                                 ConsistencyTracker* consistency, JwsVerifier* crypto)
    : publisher_(publisher),
      ledger_(ledger),
      encoder_(encoder),
      clock_(clock),
      ids_(ids),
      settings_(std::move(settings)),
      consistency_(consistency),
      crypto_(crypto) {}

void StoreStatements::release_claims(const std::vector<AcceptedEvent>& claims, const std::string& tenant) {
  if (claims.empty()) return;
  try {
    ledger_.release(claims);
  } catch (const std::exception& e) {
    // Best effort: the claims stay pending. The same statements, retried, are published then (a
    // pending claim with the same content is published again); other content for these ids is a 409
    // until someone removes the stale claims (accepted_events rows with accepted_at NULL).
    core::log::error("releasing statement claims failed; they stay pending",
                     {{"error", e.what()}, {"tenant", tenant}, {"statements", claims.size()}});
  }
}

core::Result<StoreResult> StoreStatements::execute(const StoreRequest& request) {
  // 1. The shape of the request.
  if (request.statement_id) {
    if (!core::is_uuid(*request.statement_id)) {
      return core::Error::invalid("The statementId parameter must be a UUID; got \"" + *request.statement_id + "\".",
                                  "statementId");
    }
    if (!request.body.is_object()) {
      return core::Error::invalid("PUT /statements takes one statement (a JSON object).");
    }
  }
  const bool batch = request.body.is_array();
  if (!batch && !request.body.is_object()) {
    return core::Error::invalid("The body must be one statement (a JSON object) or an array of statements.");
  }
  // The statements as sent, read in place (a batch's array is a std::vector<json> already): copying
  // and freeing every statement's tree was a good part of the cost of a batch. What the LRS adds (id,
  // stored, authority, ...) is written into the text of each stored statement (stored_text below).
  std::vector<json> single;
  if (batch) {
    if (request.body.size() > settings_.max_batch_statements) {
      return core::Error{core::ErrorCode::kTooLarge,
                         "A batch holds at most " + std::to_string(settings_.max_batch_statements) +
                             " statements; got " + std::to_string(request.body.size()) + ".",
                         {}};
    }
  } else {
    single.push_back(request.body);
  }
  const std::vector<json>& statements = batch ? request.body.get_ref<const json::array_t&>() : single;

  // 2. Every statement valid, or the whole request is refused (xAPI has no partial success).
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (auto valid = validate_statement(statements[i], {request.version}, where(batch, i)); !valid) return valid.error();
  }

  // Attachment parts to Attachment objects (before ids: the parts are judged on what the client sent).
  if (crypto_ == nullptr && !request.attachment_parts.empty()) {
    return core::Error::invalid("This LRS does not accept attachment data.", "Content-Type");
  }
  MatchedAttachments matched;
  if (crypto_ != nullptr) {
    auto matching = match_attachments(statements, batch, request.multipart, request.attachment_parts, *crypto_,
                                      settings_.max_attachment_bytes);
    if (!matching) return matching.error();
    matched = std::move(matching).value();
  } else {
    auto matching = NoCrypto{};
    auto checked = match_attachments(statements, batch, request.multipart, {}, matching, 0);
    if (!checked) return checked.error();
    matched = std::move(checked).value();
  }

  // 3. Ids: the statement's, the PUT parameter, or a new one; unique within the batch.
  std::vector<std::string> ids(statements.size());
  std::map<std::string, std::size_t> first_index;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const json& s = statements[i];
    if (request.statement_id) {
      const std::string wanted = to_lower(*request.statement_id);
      if (s.contains("id") && to_lower(s["id"].get<std::string>()) != wanted) {
        return core::Error::invalid("id (" + s["id"].get<std::string>() +
                                        ") must match the statementId parameter (" + *request.statement_id + ").",
                                    "id");
      }
      ids[i] = wanted;
    } else if (s.contains("id")) {
      ids[i] = to_lower(s["id"].get<std::string>());
    } else {
      ids[i] = to_lower(ids_.uuid());
    }
    const auto [it, inserted] = first_index.emplace(ids[i], i);
    if (!inserted) {
      return core::Error::invalid("Statement id " + ids[i] + " appears more than once in the batch ([" +
                                      std::to_string(it->second) + "] and [" + std::to_string(i) + "]).",
                                  id_field(batch, i));
    }
  }

  // Signed statements: the JWS must sign this very statement (its id is known now).
  // (Only statements with attachments can carry a signature.)
  if (crypto_ != nullptr && std::any_of(statements.begin(), statements.end(), has_attachments)) {
    std::vector<json> with_ids(statements.begin(), statements.end());
    for (std::size_t i = 0; i < with_ids.size(); ++i) with_ids[i]["id"] = ids[i];
    if (auto signed_ok = verify_signatures(with_ids, batch, matched, *crypto_, request.version); !signed_ok) {
      return signed_ok.error();
    }
  }

  // 4. Retries and conflicts, by the comparison rules, against what was stored before. The comparison
  // form lower-cases the id, so a statement that has one hashes as it is; one without gets its new id.
  std::vector<std::string> hashes(statements.size());
  std::vector<EventKey> keys(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (statements[i].contains("id")) {
      hashes[i] = comparison_hash(statements[i]);
    } else {
      json with_id = statements[i];
      with_id["id"] = ids[i];
      hashes[i] = comparison_hash(with_id);
    }
    keys[i] = EventKey{request.tenant, ids[i]};
  }
  // Claim the ids against concurrent requests of this process (released when this call returns).
  {
    std::unique_lock lock(in_flight_mutex_);
    const auto deadline = std::chrono::steady_clock::now() + settings_.in_flight_wait;
    for (;;) {
      bool busy = false;
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto it = in_flight_.find(keys[i]);
        if (it == in_flight_.end()) continue;
        if (it->second != hashes[i]) {
          return core::Error{core::ErrorCode::kConflict,
                             "Statement " + ids[i] + " (" + statement_name(batch, i) +
                                 ") is being stored right now with different content; statements are immutable.",
                             id_field(batch, i)};
        }
        busy = true;
      }
      if (!busy) break;
      if (in_flight_released_.wait_until(lock, deadline) == std::cv_status::timeout) {
        return core::Error::unavailable("Another request is still storing the same statements; retry later.");
      }
    }
    for (std::size_t i = 0; i < keys.size(); ++i) in_flight_.emplace(keys[i], hashes[i]);
  }
  struct Release {
    StoreStatements& self;
    const std::vector<EventKey>& keys;
    ~Release() {
      {
        std::lock_guard lock(self.in_flight_mutex_);
        for (const auto& key : keys) self.in_flight_.erase(key);
      }
      self.in_flight_released_.notify_all();
    }
  } release{*this, keys};

  // Claim the ids in the ledger, which every replica shares, before publishing (one round trip): of
  // concurrent requests for one id, on any replica, one claims it and the others see its hash, and a
  // statement on the stream always has its row, even when this process dies before recording it.
  const core::Timestamp stored = clock_.now();
  std::vector<AcceptedEvent> wanted(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) wanted[i] = {keys[i], hashes[i], stored};
  std::vector<LedgerClaim> claims;
  try {
    claims = ledger_.claim(wanted);
  } catch (const std::exception& e) {
    core::log::error("statement ledger claim failed", {{"error", e.what()}, {"tenant", request.tenant}});
    return core::Error::unavailable("The statement store is unavailable; retry later.");
  }
  std::vector<AcceptedEvent> mine;  // claimed by this call: released again unless Kafka acknowledges them
  for (std::size_t i = 0; i < claims.size(); ++i) {
    if (claims[i].state == LedgerClaim::State::kClaimed) mine.push_back(wanted[i]);
  }
  StoreResult result;
  result.ids = ids;
  std::vector<std::size_t> fresh;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const LedgerClaim& claim = i < claims.size() ? claims[i] : LedgerClaim{};
    if (claim.state == LedgerClaim::State::kClaimed) {
      fresh.push_back(i);
    } else if (claim.content_hash != hashes[i]) {
      release_claims(mine, request.tenant);
      return core::Error{core::ErrorCode::kConflict,
                         "Statement " + ids[i] + " (" + statement_name(batch, i) +
                             ") is already stored with different content; statements are immutable (void it and "
                             "send a new one).",
                         id_field(batch, i)};
    } else if (claim.state == LedgerClaim::State::kAccepted) {
      ++result.unchanged;  // the same statement again: no change (MUST NOT modify state)
    } else {
      // Pending with this content: another replica is publishing it, or a process died before
      // recording it (maybe before Kafka had it). Publishing it again loses nothing and is harmless:
      // consumers and the materialiser de-duplicate by statement id.
      fresh.push_back(i);
    }
  }
  if (fresh.empty()) return result;

  // 5. What the LRS adds, then one event per new statement.
  const std::string stored_text = format_timestamp(stored);
  std::vector<EventEnvelope> events;
  events.reserve(fresh.size());
  for (const std::size_t i : fresh) {
    const json& s = statements[i];
    core::Timestamp occurred = stored;
    std::string text;
    // Stored as sent unless the LRS normalises something (context activities as arrays; 2.0 timestamps
    // in UTC): most statements are not copied.
    json normalised;
    const bool changed = changed_for_storage(s, request.version);
    if (changed) {
      normalised = s;
      normalise_for_storage(normalised, request.version);
    }
    const json& storing = changed ? normalised : s;
    if (storing.contains("timestamp")) {
      occurred = *parse_timestamp(storing["timestamp"].get<std::string>(), request.version);
    }
    text = as_stored(storing, ids[i], stored_text, request.authority, request.version);
    if (text.size() > settings_.max_statement_bytes) {
      release_claims(mine, request.tenant);
      return core::Error{core::ErrorCode::kTooLarge,
                         statement_name(batch, i) + " is " + std::to_string(text.size()) +
                             " bytes as stored; the limit is " + std::to_string(settings_.max_statement_bytes) + ".",
                         where(batch, i)};
    }
    EventEnvelope event;
    event.id = ids[i];
    event.tenant = request.tenant;
    event.type = "xapi.statement";
    event.source = settings_.source;
    event.subject.learner_id = actor_key(s.at("actor"));
    event.occurred_at = from_timestamp(occurred);
    event.received_at = from_timestamp(stored);
    event.trace_id = request.trace_id;
    event.payload.kind = "xapi_statement";
    event.payload.encoded = encoder_.encode(text, request.version_text, matched.by_statement[i]);
    event.serialized_size = event.payload.encoded.size();
    events.push_back(std::move(event));
  }

  // 6. Kafka first: answer only once every new statement is acknowledged; record what was.
  // Pending for Consistent-Through from before publishing: once on the topic a statement may be
  // materialised before the acknowledgement arrives here.
  std::vector<EventKey> fresh_keys;
  for (const std::size_t i : fresh) fresh_keys.push_back(keys[i]);
  if (consistency_ != nullptr) consistency_->pending(fresh_keys, stored);
  std::vector<PublishAck> acks;
  try {
    acks = publisher_.publish(events);
  } catch (const std::exception& e) {
    core::log::error("publishing statements failed", {{"error", e.what()}, {"tenant", request.tenant}});
    if (consistency_ != nullptr) {
      for (const auto& key : fresh_keys) consistency_->settled(key);
    }
    release_claims(mine, request.tenant);
    return core::Error::unavailable("Kafka is unavailable; retry later (retrying the same statements is safe).");
  }
  std::vector<AcceptedEvent> acknowledged;
  std::vector<AcceptedEvent> unacknowledged_mine;
  std::string failure;
  for (std::size_t j = 0; j < events.size(); ++j) {
    if (j < acks.size() && acks[j].ok) {
      acknowledged.push_back({keys[fresh[j]], hashes[fresh[j]], stored});
    } else {
      if (claims[fresh[j]].state == LedgerClaim::State::kClaimed) unacknowledged_mine.push_back(wanted[fresh[j]]);
      // Not acknowledged: it may still arrive (then the materialiser settles it again, harmlessly).
      if (consistency_ != nullptr) consistency_->settled(fresh_keys[j]);
      if (failure.empty()) failure = j < acks.size() ? acks[j].error : "no acknowledgement";
    }
  }
  release_claims(unacknowledged_mine, request.tenant);
  if (!acknowledged.empty()) {
    try {
      ledger_.record(acknowledged);
    } catch (const std::exception& e) {
      // The statements are on the topic (the source of truth) and their claims stay pending: a retry
      // publishes them again (harmless), other content for their ids is still a 409.
      core::log::error("recording stored statements failed", {{"error", e.what()}, {"tenant", request.tenant}});
    }
  }
  result.published = acknowledged.size();
  if (acknowledged.size() != events.size()) {
    return core::Error::unavailable("Kafka did not acknowledge " + std::to_string(events.size() - acknowledged.size()) +
                                    " of " + std::to_string(events.size()) + " statements (" + failure +
                                    "); retry the request (statements already stored come back unchanged).");
  }
  return result;
}

}  // namespace edfleet::ingest::xapi
