// The xAPI documents (migrations/0003) in Postgres: XapiDocumentStore with each write in one transaction
// that holds a lock on the document's key from the read of the current document to the commit.
#pragma once

#include <string>
#include <string_view>

#include "edfleet/pg/pool.h"
#include "ports/xapi_document_store.h"

namespace edfleet::ingest {

// The ETag of document content: the lower-case hex SHA-1 of the bytes (Communication 3.1), unquoted.
std::string document_etag(std::string_view content);

// PgDocumentStore serialises writers of one key with a transaction-scoped advisory lock (which also
// covers the insert of a document that does not exist yet, where SELECT ... FOR UPDATE has no row to
// lock), then reads, decides and writes before committing. Throws pg::Unavailable / pqxx errors.
class PgDocumentStore final : public XapiDocumentStore {
 public:
  explicit PgDocumentStore(pg::ConnectionPool& pool);

  core::Result<void> modify(const xapi::DocumentKey& key, const Decide& decide) override;
  std::optional<xapi::Document> find(const xapi::DocumentKey& key) override;
  std::vector<xapi::DocumentListEntry> list(const xapi::DocumentScope& scope,
                                            std::optional<core::Timestamp> since) override;
  void remove_all(const xapi::DocumentScope& scope) override;

 private:
  pg::ConnectionPool& pool_;
};

}  // namespace edfleet::ingest
