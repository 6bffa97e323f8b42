#include "adapters/pg_statement_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "edfleet/core/time_format.h"

namespace edfleet::ingest {
namespace {

using nlohmann::json;

// Rows and filters travel as one jsonb parameter (jsonb_to_recordset / ->>), so a whole batch is one
// INSERT with no SQL built from data.
constexpr const char* kInsertSql = R"sql(
INSERT INTO xapi_statements (tenant, statement_id, stored, actor_key, object_agent_key, verb_id, activity_id,
                             registration, voids, statement_ref, statement)
SELECT r.tenant, r.statement_id, r.stored, r.actor_key, r.object_agent_key, r.verb_id, r.activity_id,
       r.registration, r.voids, r.statement_ref, r.statement
FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, statement_id uuid, stored timestamptz, actor_key text,
     object_agent_key text, verb_id text, activity_id text, registration uuid, voids uuid, statement_ref uuid,
     statement text)
ON CONFLICT (tenant, statement_id) DO NOTHING
)sql";

// Voiding, whichever of the two statements arrived first. A voiding statement is never voided.
constexpr const char* kVoidSql = R"sql(
UPDATE xapi_statements s SET voided = true
FROM jsonb_to_recordset($1::jsonb) AS k(tenant text, statement_id uuid)
WHERE s.tenant = k.tenant AND s.statement_id = k.statement_id AND NOT s.voided
  AND s.verb_id <> 'http://adlnet.gov/expapi/verbs/voided'
  AND EXISTS (SELECT 1 FROM xapi_statements v WHERE v.tenant = s.tenant AND v.voids = s.statement_id)
)sql";

constexpr const char* kRelatedSql = R"sql(
INSERT INTO xapi_statement_related (tenant, kind, key, statement_id)
SELECT r.tenant, r.kind, r.key, r.statement_id
FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, kind text, key text, statement_id uuid)
ON CONFLICT DO NOTHING
)sql";

constexpr const char* kOffsetsSql = R"sql(
INSERT INTO xapi_materialiser_offsets AS o (topic, partition, next_offset)
SELECT r.topic, r.partition, r.next_offset
FROM jsonb_to_recordset($1::jsonb) AS r(topic text, partition integer, next_offset bigint)
ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(o.next_offset, EXCLUDED.next_offset)
)sql";

// Attachment data travels hex-encoded inside the jsonb parameter (one statement for the whole batch).
constexpr const char* kAttachmentsSql = R"sql(
INSERT INTO xapi_attachments (tenant, sha2, content_type, length, content)
SELECT r.tenant, r.sha2, r.content_type, length(decode(r.content, 'hex')), decode(r.content, 'hex')
FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, sha2 text, content_type text, content text)
ON CONFLICT (tenant, sha2) DO NOTHING
)sql";

std::string hex(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (const unsigned char c : data) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

constexpr const char* kColumns =
    "statement_id::text, (extract(epoch from stored) * 1000000)::bigint, voided, statement";

// The agent, verb, activity and registration filters on the statement named {S}.
constexpr const char* kFilterTemplate = R"sql((
  (q.f->>'agent' IS NULL
   OR (NOT (q.f->>'related_agents')::boolean AND ({S}.actor_key = q.f->>'agent' OR {S}.object_agent_key = q.f->>'agent'))
   OR ((q.f->>'related_agents')::boolean AND EXISTS (
         SELECT 1 FROM xapi_statement_related rel WHERE rel.tenant = {S}.tenant AND rel.kind = 'agent'
           AND rel.key = q.f->>'agent' AND rel.statement_id = {S}.statement_id)))
  AND (q.f->>'verb' IS NULL OR {S}.verb_id = q.f->>'verb')
  AND (q.f->>'activity' IS NULL
       OR (NOT (q.f->>'related_activities')::boolean AND {S}.activity_id = q.f->>'activity')
       OR ((q.f->>'related_activities')::boolean AND EXISTS (
             SELECT 1 FROM xapi_statement_related rel WHERE rel.tenant = {S}.tenant AND rel.kind = 'activity'
               AND rel.key = q.f->>'activity' AND rel.statement_id = {S}.statement_id)))
  AND (q.f->>'registration' IS NULL OR {S}.registration = (q.f->>'registration')::uuid)))sql";

// Communication 2.1.3, Filter Conditions for StatementRefs: a statement targeting another (a StatementRef
// object) meets the filters above when the targeted statement does, recursively; voided targets count
// (2.1.4: "The LRS MUST still return any Statements targeting the voided Statement ... This includes the
// voiding Statement"). `targeting` starts from the (few) statements with a StatementRef, so a broad filter
// does not make it walk every matching statement; it is empty when the query has no such filter.
// since, until and paging apply to the statement returned. {CMP} and {DIR} are filled per direction so
// the (tenant, stored, statement_id) index serves the order.
constexpr const char* kQueryTemplate = R"sql(
WITH RECURSIVE q AS (SELECT $1::jsonb AS f),
targeting(statement_id) AS (
  SELECT r.statement_id
  FROM xapi_statements r JOIN xapi_statements t ON t.tenant = r.tenant AND t.statement_id = r.statement_ref, q
  WHERE r.tenant = q.f->>'tenant' AND r.statement_ref IS NOT NULL AND (q.f->>'filtered')::boolean AND {FILTER_T}
  UNION
  SELECT r.statement_id
  FROM xapi_statements r JOIN targeting g ON r.statement_ref = g.statement_id, q
  WHERE r.tenant = q.f->>'tenant'
)
SELECT s.statement_id::text, (extract(epoch from s.stored) * 1000000)::bigint, s.voided, s.statement
FROM xapi_statements s, q
WHERE s.tenant = q.f->>'tenant' AND NOT s.voided
  AND ({FILTER_S} OR s.statement_id IN (SELECT statement_id FROM targeting))
  AND (q.f->>'since' IS NULL OR s.stored > (q.f->>'since')::timestamptz)
  AND (q.f->>'until' IS NULL OR s.stored <= (q.f->>'until')::timestamptz)
  AND (q.f->>'after_stored' IS NULL OR
       (s.stored, s.statement_id) {CMP} ((q.f->>'after_stored')::timestamptz, (q.f->>'after_id')::uuid))
ORDER BY s.stored {DIR}, s.statement_id {DIR}
LIMIT $2
)sql";

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string query_sql(bool ascending) {
  std::string sql = kQueryTemplate;
  const auto filter_on = [](std::string_view alias) {
    std::string filter = kFilterTemplate;
    replace_all(filter, "{S}", alias);
    return filter;
  };
  replace_all(sql, "{FILTER_T}", filter_on("t"));
  replace_all(sql, "{FILTER_S}", filter_on("s"));
  replace_all(sql, "{CMP}", ascending ? ">" : "<");
  replace_all(sql, "{DIR}", ascending ? "ASC" : "DESC");
  return sql;
}

json nullable(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

// `text` as a JSON string (RFC 8259 escaping; the text is UTF-8 already), appended to `out`. The rows of
// a batch are written straight into the parameter's text: building a JSON tree per row (with a copy of
// the statement) only to dump it again was a measurable part of materialising.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of characters copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain, i - plain));
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
    plain = i + 1;
  }
  out.append(text.substr(plain));
  out += '"';
}

// "name":value, or "name":null when `value` is null (names are literals here: nothing to escape).
void append_member(std::string& out, std::string_view name, const std::string* value) {
  out += '"';
  out += name;
  out += "\":";
  if (value == nullptr) {
    out += "null";
  } else {
    append_json_string(out, *value);
  }
}

// The rows for kInsertSql: a JSON array of objects, one per row.
std::string insert_records(const std::vector<StatementRow>& rows) {
  std::size_t size = 2;
  for (const auto& r : rows) size += r.statement.size() + r.statement.size() / 4 + 400;
  std::string out;
  out.reserve(size);
  out += '[';
  const auto nullable_text = [](const std::optional<std::string>& value) { return value ? &*value : nullptr; };
  for (const auto& r : rows) {
    const std::string stored = core::format_rfc3339(r.stored);
    const std::pair<std::string_view, const std::string*> members[] = {
        {"tenant", &r.tenant},
        {"statement_id", &r.statement_id},
        {"stored", &stored},
        {"actor_key", &r.actor_key},
        {"object_agent_key", nullable_text(r.object_agent_key)},
        {"verb_id", &r.verb_id},
        {"activity_id", nullable_text(r.activity_id)},
        {"registration", nullable_text(r.registration)},
        {"voids", nullable_text(r.voids)},
        {"statement_ref", nullable_text(r.statement_ref)},
        {"statement", &r.statement}};
    out += out.size() > 1 ? ",{" : "{";
    for (std::size_t m = 0; m < std::size(members); ++m) {
      if (m > 0) out += ',';
      append_member(out, members[m].first, members[m].second);
    }
    out += '}';
  }
  out += ']';
  return out;
}

StoredStatement to_stored(const pqxx::row& row) {
  StoredStatement s;
  s.statement_id = row[0].as<std::string>();
  s.stored = core::Timestamp(std::chrono::microseconds(row[1].as<std::int64_t>()));
  s.voided = row[2].as<bool>();
  s.statement = row[3].as<std::string>();
  return s;
}

}  // namespace

PgStatementStore::PgStatementStore(pg::ConnectionPool& pool) : pool_(pool) {}

void PgStatementStore::write(const std::vector<StatementRow>& rows, const std::vector<PartitionPosition>& offsets,
                             const std::vector<AttachmentRow>& attachments) {
  const std::string records = rows.empty() ? std::string() : insert_records(rows);
  json keys = json::array();
  json related = json::array();
  for (const auto& r : rows) {
    keys.push_back({{"tenant", r.tenant}, {"statement_id", r.statement_id}});
    for (const auto& key : r.related_agents) {
      related.push_back({{"tenant", r.tenant}, {"kind", "agent"}, {"key", key}, {"statement_id", r.statement_id}});
    }
    for (const auto& key : r.related_activities) {
      related.push_back({{"tenant", r.tenant}, {"kind", "activity"}, {"key", key}, {"statement_id", r.statement_id}});
    }
    if (r.voids) keys.push_back({{"tenant", r.tenant}, {"statement_id", *r.voids}});
  }
  json positions = json::array();
  for (const auto& o : offsets) {
    positions.push_back({{"topic", o.topic}, {"partition", o.partition}, {"next_offset", o.next_offset}});
  }
  pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    if (!rows.empty()) {
      txn.exec_params(kInsertSql, records);
      txn.exec_params(kVoidSql, keys.dump());
      if (!related.empty()) txn.exec_params(kRelatedSql, related.dump());
    }
    if (!attachments.empty()) {
      json data = json::array();
      for (const auto& a : attachments) {
        data.push_back({{"tenant", a.tenant}, {"sha2", a.sha2}, {"content_type", a.content_type}, {"content", hex(a.content)}});
      }
      txn.exec_params(kAttachmentsSql, data.dump());
    }
    if (!offsets.empty()) txn.exec_params(kOffsetsSql, positions.dump());
    txn.commit();
  });
}

std::optional<std::int64_t> PgStatementStore::stored_offset(const std::string& topic, std::int32_t partition) {
  return pool_.with_connection([&](pqxx::connection& connection) -> std::optional<std::int64_t> {
    pqxx::read_transaction txn(connection);
    const auto rows = txn.exec_params(
        "SELECT next_offset FROM xapi_materialiser_offsets WHERE topic = $1 AND partition = $2", topic, partition);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::int64_t>();
  });
}

std::map<std::int32_t, std::int64_t> PgStatementStore::stored_offsets(const std::string& topic) {
  return pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    std::map<std::int32_t, std::int64_t> out;
    for (const auto& row :
         txn.exec_params("SELECT partition, next_offset FROM xapi_materialiser_offsets WHERE topic = $1", topic)) {
      out.emplace(row[0].as<std::int32_t>(), row[1].as<std::int64_t>());
    }
    return out;
  });
}

std::optional<core::Timestamp> PgStatementStore::consistent_through() {
  return pool_.with_connection([&](pqxx::connection& connection) -> std::optional<core::Timestamp> {
    pqxx::read_transaction txn(connection);
    const auto rows = txn.exec("SELECT (extract(epoch from through) * 1000000)::bigint FROM xapi_consistent_through");
    if (rows.empty()) return std::nullopt;
    return core::Timestamp(std::chrono::microseconds(rows[0][0].as<std::int64_t>()));
  });
}

void PgStatementStore::save_consistent_through(core::Timestamp through) {
  pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "INSERT INTO xapi_consistent_through AS c (through) VALUES ($1::timestamptz) "
        "ON CONFLICT (singleton) DO UPDATE SET through = GREATEST(c.through, EXCLUDED.through)",
        core::format_rfc3339(through));
    txn.commit();
  });
}

std::optional<StoredStatement> PgStatementStore::find(const std::string& tenant, const std::string& statement_id) {
  return pool_.with_connection([&](pqxx::connection& connection) -> std::optional<StoredStatement> {
    pqxx::read_transaction txn(connection);
    const auto rows = txn.exec_params(std::string("SELECT ") + kColumns +
                                          " FROM xapi_statements WHERE tenant = $1 AND statement_id = $2::uuid",
                                      tenant, statement_id);
    if (rows.empty()) return std::nullopt;
    return to_stored(rows[0]);
  });
}

std::vector<StoredStatement> PgStatementStore::query(const StatementQuery& query) {
  json f = {{"tenant", query.tenant},
            {"agent", nullable(query.agent_key)},
            {"verb", nullable(query.verb_id)},
            {"activity", nullable(query.activity_id)},
            {"registration", nullable(query.registration)},
            {"related_agents", query.related_agents},
            {"related_activities", query.related_activities},
            {"filtered", query.agent_key || query.verb_id || query.activity_id || query.registration}};
  if (query.since) f["since"] = core::format_rfc3339(*query.since);
  if (query.until) f["until"] = core::format_rfc3339(*query.until);
  if (query.after) {
    f["after_stored"] = core::format_rfc3339(query.after->first);
    f["after_id"] = query.after->second;
  }
  return pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    std::vector<StoredStatement> out;
    static const std::string ascending_sql = query_sql(true);
    static const std::string descending_sql = query_sql(false);
    for (const auto& row : txn.exec_params(query.ascending ? ascending_sql : descending_sql, f.dump(),
                                           static_cast<std::int64_t>(query.limit + 1))) {
      out.push_back(to_stored(row));
    }
    return out;
  });
}

}  // namespace edfleet::ingest

namespace edfleet::ingest {

std::vector<AttachmentRow> PgStatementStore::attachments(const std::string& tenant, const std::vector<std::string>& sha2s) {
  if (sha2s.empty()) return {};
  return pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    std::vector<AttachmentRow> out;
    for (const auto& row : txn.exec_params(
             "SELECT sha2, content_type, content FROM xapi_attachments "
             "WHERE tenant = $1 AND sha2 IN (SELECT jsonb_array_elements_text($2::jsonb))",
             tenant, json(sha2s).dump())) {
      AttachmentRow a;
      a.tenant = tenant;
      a.sha2 = row[0].as<std::string>();
      a.content_type = row[1].as<std::string>();
      a.content = pqxx::binarystring(row[2]).str();
      out.push_back(std::move(a));
    }
    return out;
  });
}

}  // namespace edfleet::ingest
