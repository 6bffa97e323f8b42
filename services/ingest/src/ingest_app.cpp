#include "ingest_app.h"

#include <prometheus/gauge.h>

#include "domain/validation.h"
#include "edfleet/core/log.h"
#include "edfleet/core/time_format.h"
#include "edfleet/contracts/topics.h"
#include "transport/http_routes.h"
#include "transport/xapi_document_routes.h"
#include "transport/xapi_routes.h"

namespace edfleet::ingest {
namespace {

constexpr const char* kMaterialiserGroup = "edfleet-ingest-xapi-materialiser";

kafka::ProducerConfig producer_config(const service::CommonConfig& common, const IngestConfig& config,
                                      prometheus::Registry& registry) {
  kafka::ProducerConfig out;
  out.bootstrap_servers = common.kafka_bootstrap_servers;
  out.client_id = "edfleet-ingest";
  // A record Kafka has not acknowledged when we answer "unavailable" should not arrive much later
  // anyway: give up on it at about the same time.
  out.delivery_timeout = config.kafka_timeout;
  out.linger = config.kafka_linger;
  out.registry = &registry;
  return out;
}

PublishSettings publish_settings(const IngestConfig& config) {
  PublishSettings s;
  s.max_batch_events = static_cast<std::size_t>(config.max_batch_events);
  s.limits.max_event_bytes = static_cast<std::size_t>(config.max_event_bytes);
  s.limits.max_future_skew = std::chrono::duration_cast<std::chrono::seconds>(config.max_future_skew);
  s.in_flight_wait = config.in_flight_wait;
  return s;
}

xapi::StoreSettings store_settings(const IngestConfig& config) {
  xapi::StoreSettings s;
  s.max_batch_statements = static_cast<std::size_t>(config.xapi_max_batch_statements);
  s.max_statement_bytes = static_cast<std::size_t>(config.xapi_max_statement_bytes);
  s.max_attachment_bytes = static_cast<std::size_t>(config.xapi_max_attachment_bytes);
  s.in_flight_wait = config.in_flight_wait;
  return s;
}

pg::ConnectionPool& migrated(pg::ConnectionPool& pool) {
  pool.with_connection([](pqxx::connection& connection) { pg::apply_migrations(connection, "ingest", migrations()); });
  return pool;
}

}  // namespace

void bind_ingest_config(core::ConfigSpec& spec, IngestConfig& config) {
  spec.bind("ingest.max_batch_events", config.max_batch_events, "Most events in one Publish call or HTTP request");
  spec.bind("ingest.max_event_bytes", config.max_event_bytes, "Largest event (serialized protobuf) accepted, bytes");
  spec.bind("ingest.max_http_body_bytes", config.max_http_body_bytes, "Largest HTTP request body, bytes (413 above)");
  spec.bind("ingest.max_future_skew", config.max_future_skew,
            "How far occurred_at may be ahead of ingest's clock (e.g. 24h)");
  spec.bind("ingest.kafka_linger", config.kafka_linger,
            "How long the Kafka producer waits to fill a batch (linger.ms): throughput against latency");
  spec.bind("ingest.kafka_timeout", config.kafka_timeout,
            "How long Publish waits for Kafka to acknowledge a batch before answering unavailable");
  spec.bind("ingest.in_flight_wait", config.in_flight_wait,
            "How long a batch waits for a concurrent batch publishing the same event ids");
  spec.bind("ingest.http_threads", config.http_threads,
            "HTTP worker threads; each serves one open keep-alive connection at a time");
  spec.bind("ingest.ledger_cache_entries", config.ledger_cache_entries,
            "Accepted event ids kept in memory in front of Postgres (0 disables the cache)");
  spec.bind("xapi.max_batch_statements", config.xapi_max_batch_statements,
            "Most statements in one POST /xapi/statements (413 above)");
  spec.bind("xapi.max_statement_bytes", config.xapi_max_statement_bytes,
            "Largest statement as stored (JSON text, with the LRS-set properties), bytes (413 above)");
  spec.bind("xapi.max_attachment_bytes", config.xapi_max_attachment_bytes,
            "Most attachment data (multipart parts) in one statements request, bytes (413 above); it travels on "
            "the events, so keep it below Kafka's message size limit");
  spec.bind("xapi.basic_credentials", config.xapi_basic_credentials,
            "HTTP Basic credentials for direct xAPI access: user -> \"<tenant>:<password>\" (requests from the "
            "gateway carry X-Edfleet-Tenant instead)");
  spec.bind("xapi.materialiser_instance_id", config.xapi_materialiser_instance_id,
            "The xAPI materialiser's group.instance.id (static membership), unique and stable per replica");
  spec.bind("xapi.materialiser_session_timeout", config.xapi_materialiser_session_timeout,
            "The xAPI materialiser's consumer group session timeout: how long a dead replica's partitions (and "
            "Consistent-Through) wait for a new owner");
}

core::Result<void> validate(const IngestConfig& config, const service::CommonConfig& common) {
  if (config.max_batch_events < 1) return core::Error::invalid("must be at least 1", "ingest.max_batch_events");
  if (config.max_event_bytes < 1) return core::Error::invalid("must be at least 1", "ingest.max_event_bytes");
  if (config.max_http_body_bytes < 1) return core::Error::invalid("must be at least 1", "ingest.max_http_body_bytes");
  if (config.max_future_skew.count() < 0) return core::Error::invalid("must not be negative", "ingest.max_future_skew");
  if (config.kafka_timeout.count() < 1) return core::Error::invalid("must be positive", "ingest.kafka_timeout");
  if (config.kafka_linger.count() < 0 || config.kafka_linger.count() > 1000) {
    return core::Error::invalid("must be between 0 and 1s", "ingest.kafka_linger");
  }
  if (config.in_flight_wait.count() < 0) return core::Error::invalid("must not be negative", "ingest.in_flight_wait");
  if (config.http_threads < 1 || config.http_threads > 4096) {
    return core::Error::invalid("must be between 1 and 4096", "ingest.http_threads");
  }
  if (config.ledger_cache_entries < 0) {
    return core::Error::invalid("must not be negative", "ingest.ledger_cache_entries");
  }
  if (config.xapi_max_batch_statements < 1) {
    return core::Error::invalid("must be at least 1", "xapi.max_batch_statements");
  }
  if (config.xapi_max_statement_bytes < 1) {
    return core::Error::invalid("must be at least 1", "xapi.max_statement_bytes");
  }
  if (config.xapi_materialiser_session_timeout.count() < 1000 ||
      config.xapi_materialiser_session_timeout.count() > 300000) {
    return core::Error::invalid("must be between 1s and 300s", "xapi.materialiser_session_timeout");
  }
  if (config.xapi_max_attachment_bytes < 0) {
    return core::Error::invalid("must not be negative", "xapi.max_attachment_bytes");
  }
  for (const auto& [user, value] : config.xapi_basic_credentials) {
    const auto colon = value.find(':');
    if (user.empty() || user.find(':') != std::string::npos || colon == std::string::npos ||
        !is_tenant_slug(value.substr(0, colon)) || colon + 1 == value.size()) {
      return core::Error::invalid("entry \"" + user + "\" must map a user name (no ':') to \"<tenant>:<password>\"",
                                  "xapi.basic_credentials");
    }
  }
  if (common.kafka_bootstrap_servers.empty()) {
    return core::Error::invalid("is required: ingest publishes to Kafka (EDFLEET_KAFKA_BOOTSTRAP_SERVERS)",
                                "kafka.bootstrap_servers");
  }
  if (common.postgres_url.empty()) {
    return core::Error::invalid("is required: ingest keeps its idempotency ledger in PostgreSQL "
                                "(EDFLEET_POSTGRES_URL)",
                                "postgres.url");
  }
  return {};
}

IngestApp::IngestApp(const service::CommonConfig& common, const IngestConfig& config, prometheus::Registry& registry,
                     core::Clock& clock, core::IdGenerator& ids)
    : config_(config),
      pool_(common.postgres_url, static_cast<std::size_t>(common.postgres_pool_size)),
      producer_(producer_config(common, config, registry)),
      pg_ledger_(migrated(pool_)),
      ledger_(pg_ledger_, static_cast<std::size_t>(config.ledger_cache_entries)),
      slot_ledger_(pool_, "session_sequence_slots"),
      publisher_(producer_, config.kafka_timeout, registry, std::string(contracts::kEventsTopic)),
      use_case_(publisher_, ledger_, slot_ledger_, clock, ids, publish_settings(config)),
      metrics_(registry),
      handler_(use_case_, metrics_, ids),
      grpc_(handler_),
      ids_(ids),
      // A statement reaches the topic within the producer's delivery timeout of its stored time or
      // never; the margin covers the broker appending a request the producer already gave up on.
      consistency_(clock, std::chrono::duration_cast<std::chrono::microseconds>(config.kafka_timeout) +
                              std::chrono::seconds(2)),
      statements_(publisher_, ledger_, xapi_encoder_, clock, ids, store_settings(config), &consistency_, &jws_),
      statement_store_(pool_),
      document_store_(pool_),
      xapi_catalog_(pool_),
      documents_(document_store_, clock),
      materialiser_(statement_store_, consistency_, xapi::StoreSettings{}.source),
      topic_positions_(common.kafka_bootstrap_servers, kMaterialiserGroup, std::string(contracts::kEventsTopic),
                       config.kafka_timeout),
      consistency_watcher_(topic_positions_, statement_store_, consistency_, clock) {
  // Vouch for nothing newer than what an earlier process vouched for until the materialiser has
  // caught up with what is on the topic now (XapiConsistencyWatcher releases the hold).
  consistency_.hold(statement_store_.consistent_through().value_or(core::Timestamp{}));
  kafka::ConsumerConfig consumer;
  consumer.bootstrap_servers = common.kafka_bootstrap_servers;
  consumer.group_id = kMaterialiserGroup;
  consumer.session_timeout = config.xapi_materialiser_session_timeout;
  if (!config.xapi_materialiser_instance_id.empty()) {
    consumer.extra["group.instance.id"] = config.xapi_materialiser_instance_id;
  }
  consumer.topics = {std::string(contracts::kEventsTopic)};
  consumer.client_id = "edfleet-ingest-xapi";
  consumer.registry = &registry;
  // Records lost unread to retention: Consistent-Through stops vouching (it must not pass a statement
  // the store will never hold), and says so in the log and in edfleet_ingest_xapi_records_lost.
  auto& records_lost = prometheus::BuildGauge()
                           .Name("edfleet_ingest_xapi_records_lost")
                           .Help("1 once the xAPI materialiser found records lost unread (retention); "
                                 "Consistent-Through is frozen from then on")
                           .Register(registry)
                           .Add({});
  consumer.on_records_lost = [this, &records_lost] {
    if (consistency_.lost()) return;
    consistency_.records_lost();
    records_lost.Set(1);
    core::log::error("xAPI statements may have been lost unread: X-Experience-API-Consistent-Through is frozen "
                     "and will not pass them; the store needs checking against the producers",
                     {{"consistent_through", core::format_rfc3339(consistency_.consistent_through())}});
  };
  materialiser_loop_ = std::make_unique<kafka::ConsumerLoop>(consumer, materialiser_, producer_);
  core::log::info("ingest ready", {{"postgres", pool_.target()},
                                   {"kafka", common.kafka_bootstrap_servers},
                                   {"topic", contracts::kEventsTopic},
                                   {"max_batch_events", config.max_batch_events},
                                   {"max_event_bytes", config.max_event_bytes},
                                   {"kafka_timeout_ms", config.kafka_timeout.count()}});
}

void IngestApp::add_http_routes(httplib::Server& server, const identity::IdentityVerifier& verifier) {
  // httplib's defaults (8 workers, a connection closed after 5 requests) made 16 keep-alive clients
  // queue for a worker and reconnect every 5 requests (measured by edfleet-bench-xapi).
  const auto workers = static_cast<std::size_t>(config_.http_threads);
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.set_keep_alive_max_count(10000);
  edfleet::ingest::add_http_routes(server, handler_, static_cast<std::size_t>(config_.max_http_body_bytes), verifier);
  XapiRouteSettings xapi_settings;
  xapi_settings.authentication = {config_.xapi_basic_credentials, &verifier};
  xapi_settings.consistent_through = [this] { return consistency_.consistent_through(); };
  xapi_settings.reader = &statement_store_;
  add_xapi_routes(server, statements_, ids_, std::move(xapi_settings));
  XapiDocumentRouteSettings document_settings;
  document_settings.authentication = {config_.xapi_basic_credentials, &verifier};
  document_settings.catalog = &xapi_catalog_;
  document_settings.consistent_through = [this] { return consistency_.consistent_through(); };
  add_xapi_document_routes(server, documents_, ids_, std::move(document_settings));
}

IngestApp::~IngestApp() = default;

void IngestApp::flush() {
  if (!producer_.flush(config_.kafka_timeout)) core::log::warn("Kafka producer did not flush before shutdown");
}

}  // namespace edfleet::ingest
