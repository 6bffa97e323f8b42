#include "adapters/pg_document_store.h"

#include <openssl/evp.h>

#include <pqxx/pqxx>

namespace edfleet::ingest {
namespace {

using xapi::DocumentChange;

std::string kind_name(xapi::DocumentKind kind) {
  switch (kind) {
    case xapi::DocumentKind::kState: return "state";
    case xapi::DocumentKind::kActivityProfile: return "activity_profile";
    case xapi::DocumentKind::kAgentProfile: return "agent_profile";
  }
  return "?";
}

// The key columns are $1..$6; md5() lets the unique index (md5 of the long text columns) serve.
constexpr const char* kKeyWhere =
    " WHERE tenant = $1 AND kind = $2 AND md5(activity_id) = md5($3) AND activity_id = $3 AND agent_key = $4"
    " AND registration = $5 AND md5(document_id) = md5($6) AND document_id = $6";
constexpr const char* kColumns =
    "content, content_type, etag, (extract(epoch FROM updated) * 1000000)::bigint";
constexpr const char* kMicros = "(timestamptz 'epoch' + $10::bigint * interval '1 microsecond')";

std::int64_t micros(core::Timestamp t) { return t.time_since_epoch().count(); }

xapi::Document to_document(const pqxx::row& row) {
  xapi::Document d;
  d.content = pqxx::binarystring(row[0]).str();
  d.content_type = row[1].as<std::string>();
  d.etag = row[2].as<std::string>();
  d.updated = core::Timestamp(std::chrono::microseconds(row[3].as<std::int64_t>()));
  return d;
}

template <typename Txn>
pqxx::result select_key(Txn& txn, const xapi::DocumentKey& key, const char* suffix) {
  const auto& s = key.scope;
  return txn.exec_params(std::string("SELECT ") + kColumns + " FROM xapi_documents" + kKeyWhere + suffix, s.tenant,
                         kind_name(s.kind), s.activity_id, s.agent_key, s.registration.value_or(""), key.id);
}

}  // namespace

std::string document_etag(std::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(content.data(), content.size(), digest, &size, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

PgDocumentStore::PgDocumentStore(pg::ConnectionPool& pool) : pool_(pool) {}

core::Result<void> PgDocumentStore::modify(const xapi::DocumentKey& key, const Decide& decide) {
  return pool_.with_connection([&](pqxx::connection& connection) -> core::Result<void> {
    pqxx::work txn(connection);
    const auto& s = key.scope;
    // One lock per key for the whole transaction: concurrent writers of the same document queue here,
    // so the ETag each one checks is the one it replaces.
    const std::string lock_key = s.tenant + '\x1f' + kind_name(s.kind) + '\x1f' + s.activity_id + '\x1f' +
                                 s.agent_key + '\x1f' + s.registration.value_or("") + '\x1f' + key.id;
    txn.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", lock_key);
    const auto rows = select_key(txn, key, " FOR UPDATE");
    std::optional<xapi::Document> current;
    if (!rows.empty()) current = to_document(rows[0]);
    auto change = decide(current);
    if (!change) return change.error();
    const std::string kind = kind_name(s.kind);
    const std::string registration = s.registration.value_or("");
    switch (change->action) {
      case DocumentChange::Action::kNone: return {};
      case DocumentChange::Action::kDelete:
        txn.exec_params(std::string("DELETE FROM xapi_documents") + kKeyWhere, s.tenant, kind, s.activity_id,
                        s.agent_key, registration, key.id);
        break;
      case DocumentChange::Action::kWrite: {
        const auto& doc = change->document;
        const pqxx::binarystring content(doc.content);
        if (current) {
          txn.exec_params(std::string("UPDATE xapi_documents SET content = $7, content_type = $8, etag = $9, updated = ") +
                              kMicros + kKeyWhere,
                          s.tenant, kind, s.activity_id, s.agent_key, registration, key.id, content, doc.content_type,
                          document_etag(doc.content), micros(change->updated));
        } else {
          txn.exec_params(std::string("INSERT INTO xapi_documents (tenant, kind, activity_id, agent_key, registration, "
                                      "document_id, content, content_type, etag, updated) VALUES "
                                      "($1, $2, $3, $4, $5, $6, $7, $8, $9, ") +
                              kMicros + ")",
                          s.tenant, kind, s.activity_id, s.agent_key, registration, key.id, content, doc.content_type,
                          document_etag(doc.content), micros(change->updated));
        }
        break;
      }
    }
    txn.commit();
    return {};
  });
}

std::optional<xapi::Document> PgDocumentStore::find(const xapi::DocumentKey& key) {
  return pool_.with_connection([&](pqxx::connection& connection) -> std::optional<xapi::Document> {
    pqxx::read_transaction txn(connection);
    const auto rows = select_key(txn, key, "");
    if (rows.empty()) return std::nullopt;
    return to_document(rows[0]);
  });
}

std::vector<xapi::DocumentListEntry> PgDocumentStore::list(const xapi::DocumentScope& scope,
                                                           std::optional<core::Timestamp> since) {
  return pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::read_transaction txn(connection);
    // Without a registration the State ids list covers every registration (Communication 2.3): an id
    // stored under several appears once, with its latest update.
    const auto rows = txn.exec_params(
        "SELECT document_id, (extract(epoch FROM max(updated)) * 1000000)::bigint AS at FROM xapi_documents"
        " WHERE tenant = $1 AND kind = $2 AND md5(activity_id) = md5($3) AND activity_id = $3 AND agent_key = $4"
        " AND (NOT $5 OR registration = $6)"
        " AND (NOT $7 OR updated > timestamptz 'epoch' + $8::bigint * interval '1 microsecond')"
        " GROUP BY document_id ORDER BY at, document_id",
        scope.tenant, kind_name(scope.kind), scope.activity_id, scope.agent_key, scope.registration.has_value(),
        scope.registration.value_or(""), since.has_value(), since ? micros(*since) : std::int64_t{0});
    std::vector<xapi::DocumentListEntry> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      out.push_back({row[0].as<std::string>(), core::Timestamp(std::chrono::microseconds(row[1].as<std::int64_t>()))});
    }
    return out;
  });
}

void PgDocumentStore::remove_all(const xapi::DocumentScope& scope) {
  pool_.with_connection([&](pqxx::connection& connection) {
    pqxx::work txn(connection);
    txn.exec_params(
        "DELETE FROM xapi_documents WHERE tenant = $1 AND kind = $2 AND md5(activity_id) = md5($3)"
        " AND activity_id = $3 AND agent_key = $4 AND (NOT $5 OR registration = $6)",
        scope.tenant, kind_name(scope.kind), scope.activity_id, scope.agent_key, scope.registration.has_value(),
        scope.registration.value_or(""));
    txn.commit();
  });
}

}  // namespace edfleet::ingest
