// The ingest service's object graph, built from configuration: Postgres pool (+ migrations), Kafka
// producer, ledger (Postgres with an in-memory cache in front), publisher, the Publish use case and
// its gRPC and HTTP transports. main() hands it to the ServiceHost; tests may build it directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>
#include <prometheus/registry.h>

#include "edfleet/identity/caller_identity.h"

#include "adapters/caching_accepted_event_ledger.h"
#include "adapters/kafka_event_publisher.h"
#include "adapters/openssl_jws_verifier.h"
#include "adapters/pg_accepted_event_ledger.h"
#include "adapters/pg_document_store.h"
#include "adapters/pg_statement_store.h"
#include "adapters/pg_xapi_catalog.h"
#include "adapters/proto_xapi_payload_encoder.h"
#include "domain/publish_batch.h"
#include "domain/xapi/store_statements.h"
#include "edfleet/core/clock.h"
#include "edfleet/core/config.h"
#include "edfleet/core/ids.h"
#include "edfleet/kafka/producer.h"
#include "edfleet/pg/migrations.h"
#include "edfleet/pg/pool.h"
#include "edfleet/identity/caller_identity.h"
#include "edfleet/service/common_config.h"
#include "transport/ingest_grpc_service.h"
#include "transport/ingest_metrics.h"
#include "transport/publish_handler.h"
#include "transport/xapi_materialiser.h"

namespace edfleet::ingest {

// The migrations in services/ingest/migrations, embedded at build time.
const std::vector<pg::Migration>& migrations();

// Keys under `ingest.`; defaults here are the documented ones (config.yaml).
struct IngestConfig {
  int max_batch_events = 1000;
  std::int64_t max_event_bytes = 64 * 1024;
  std::int64_t max_http_body_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds max_future_skew{24 * 3600 * 1000};
  std::chrono::milliseconds kafka_timeout{10000};
  // The producer's linger.ms. 0: a single-statement xAPI POST at 1,000/s took p50 5.1 ms with 2 ms and
  // 2.4 ms with 0, and ingest took more requests/s (edfleet-bench-xapi); batches still form under load.
  std::chrono::milliseconds kafka_linger{0};
  std::chrono::milliseconds in_flight_wait{30000};
  std::int64_t ledger_cache_entries = 100000;
  int http_threads = 64;   // HTTP worker threads: one per open (keep-alive) connection
  // xAPI LRS (/xapi/...).
  int xapi_max_batch_statements = 1000;
  std::int64_t xapi_max_statement_bytes = 256 * 1024;
  std::int64_t xapi_max_attachment_bytes = 640 * 1024;
  std::map<std::string, std::string> xapi_basic_credentials;  // user -> "<tenant>:<password>"
  // The materialiser's group.instance.id (static membership: a restarted replica takes its partitions
  // back at once instead of after the session timeout). Empty: dynamic membership.
  std::string xapi_materialiser_instance_id;
  // A killed replica's partitions wait about this long for a new owner, and Consistent-Through with
  // them: 3 s took the kill -9 fault test's catch-up from 8.3 s (6 s) to 5.3-5.5 s.
  std::chrono::milliseconds xapi_materialiser_session_timeout{3000};
};

void bind_ingest_config(core::ConfigSpec& spec, IngestConfig& config);

// Range checks, and the dependencies ingest cannot run without; the error names the key.
core::Result<void> validate(const IngestConfig& config, const service::CommonConfig& common);

class IngestApp {
 public:
  // Connects to Postgres and applies migrations (throws when it cannot: fail fast at start-up),
  // creates the Kafka producer.
  IngestApp(const service::CommonConfig& common, const IngestConfig& config, prometheus::Registry& registry,
            core::Clock& clock, core::IdGenerator& ids);

  IngestGrpcService& grpc_service() { return grpc_; }
  // `verifier` checks the caller identity the gateway signs (outlives the routes).
  void add_http_routes(httplib::Server& server, const identity::IdentityVerifier& verifier);
  // Waits for records still in the producer's queue (shutdown, after the background loops stopped).
  void flush();
  // The background loops main() hands to ServiceHost::add_background: the xAPI materialiser's
  // consumer loop and the Consistent-Through watcher (XapiConsistencyWatcher).
  void run_materialiser() { materialiser_loop_->run(); }
  void stop_materialiser() { materialiser_loop_->stop(); }
  void run_consistency_watcher() { consistency_watcher_.run(); }
  void stop_consistency_watcher() { consistency_watcher_.stop(); }
  ~IngestApp();

 private:
  IngestConfig config_;
  pg::ConnectionPool pool_;
  kafka::Producer producer_;
  PgAcceptedEventLedger pg_ledger_;
  CachingAcceptedEventLedger ledger_;
  PgAcceptedEventLedger slot_ledger_;  // per-session sequence slots (session_sequence_slots)
  KafkaEventPublisher publisher_;
  PublishBatch use_case_;
  IngestMetrics metrics_;
  PublishHandler handler_;
  IngestGrpcService grpc_;
  core::IdGenerator& ids_;
  ProtoXapiPayloadEncoder xapi_encoder_;
  xapi::ConsistencyTracker consistency_;
  OpenSslJwsVerifier jws_;  // attachment hashes and statement signatures
  xapi::StoreStatements statements_;
  PgStatementStore statement_store_;
  // xAPI document resources (State, Activity/Agent Profile), Agents and Activities.
  PgDocumentStore document_store_;
  PgXapiCatalog xapi_catalog_;
  xapi::DocumentService documents_;
  XapiMaterialiser materialiser_;
  std::unique_ptr<kafka::ConsumerLoop> materialiser_loop_;  // run by the host (run_materialiser)
  KafkaTopicPositions topic_positions_;
  XapiConsistencyWatcher consistency_watcher_;
};

}  // namespace edfleet::ingest
