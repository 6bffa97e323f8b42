// Reading Prometheus metrics in tests: from a registry in the test's process, or from a service's
// /metrics endpoint. Part of edfleet::testing_base (no Kafka or Postgres).
//
//   CHECK(testing::metric(registry, "edfleet_kafka_dlq_total", {{"group", group}}) == 1);
//   CHECK(testing::scrape_metric(ingest.http_port(), "edfleet_ingest_events_total",
//                                {{"outcome", "accepted"}}) == 3);
#pragma once

#include <map>
#include <string>

namespace prometheus {
class Registry;
}

namespace edfleet::testing {

using MetricLabels = std::map<std::string, std::string>;

// The sum of the samples of metric family `name` whose labels include all of `labels` (0 when none
// match): a counter's or gauge's value, a histogram's or summary's sample count.
double metric(prometheus::Registry& registry, const std::string& name, const MetricLabels& labels = {});

// The same for the Prometheus text served at http://127.0.0.1:<http_port>/metrics, where `name` is
// a sample name (e.g. "x_total", or "x_seconds_count" for a histogram's count). Throws
// std::runtime_error when the endpoint does not answer 200.
double scrape_metric(int http_port, const std::string& name, const MetricLabels& labels = {});

// The same for Prometheus text already fetched (exposed for tests of the parsing).
double metric_in_text(const std::string& text, const std::string& name, const MetricLabels& labels = {});

}  // namespace edfleet::testing
