// Port: where the xAPI State, Activity Profile and Agent Profile documents live (Postgres in production).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "domain/xapi/documents.h"

namespace edfleet::ingest {

// Stores documents by xapi::DocumentKey; a tenant's documents are never visible under another tenant.
// modify() is the only write of one document: it reads the current document with writers of the same
// key excluded, calls `decide` with it, and applies the change decide returns (computing the new ETag,
// the SHA-1 hex of the content) before anyone else may read-for-write the key. When decide returns an
// error nothing changes and modify returns that error. Adapters may throw when the storage fails.
class XapiDocumentStore {
 public:
  using Decide = std::function<core::Result<xapi::DocumentChange>(const std::optional<xapi::Document>& current)>;

  virtual ~XapiDocumentStore() = default;
  virtual core::Result<void> modify(const xapi::DocumentKey& key, const Decide& decide) = 0;
  virtual std::optional<xapi::Document> find(const xapi::DocumentKey& key) = 0;
  // The ids (and update times) in `scope` updated strictly after `since`, oldest first.
  virtual std::vector<xapi::DocumentListEntry> list(const xapi::DocumentScope& scope,
                                                    std::optional<core::Timestamp> since) = 0;
  virtual void remove_all(const xapi::DocumentScope& scope) = 0;
};

}  // namespace edfleet::ingest
