#include <catch2/catch.hpp>

#include "app/report.h"
#include "domain/histogram.h"
#include "domain/run_stats.h"
#include "edfleet/core/time_format.h"

using namespace edfleet;
using namespace edfleet::sim;
using std::chrono::microseconds;

TEST_CASE("histogram: exact for small values, within 3% above, mergeable", "[sim][histogram]") {
  LatencyHistogram h;
  CHECK(h.percentile(50) == microseconds(0));
  for (int v = 1; v <= 60; ++v) h.record(microseconds(v));
  CHECK(h.percentile(50) == microseconds(30));
  CHECK(h.percentile(100) == microseconds(60));
  CHECK(h.max() == microseconds(60));

  LatencyHistogram big;
  for (int v = 1; v <= 100000; ++v) big.record(microseconds(v * 10));
  for (const double p : {50.0, 90.0, 99.0, 99.9}) {
    const double truth = p / 100 * 1e6;
    INFO("p" << p);
    CHECK(static_cast<double>(big.percentile(p).count()) == Approx(truth).epsilon(0.035));
    CHECK(static_cast<double>(big.percentile(p).count()) >= truth);   // never under-reports
  }
  CHECK(big.percentile(100) == microseconds(1000000));
  CHECK(big.mean() == microseconds(500005));

  LatencyHistogram merged = h;
  merged.merge(big);
  CHECK(merged.count() == 100060);
  CHECK(merged.max() == microseconds(1000000));
  merged.record(microseconds(-5));   // a clock hiccup counts as 0
  CHECK(merged.count() == 100061);
}

TEST_CASE("run stats count every outcome and merge", "[sim][stats]") {
  RunStats a;
  SendResult result;
  result.results = {{true, false, "", "", ""},
                    {true, true, "", "", ""},
                    {false, false, "INVALID_FIELD", "occurred_at", "too far ahead"},
                    {false, false, "UNAVAILABLE", "", "kafka"},
                    {false, false, "INVALID_FIELD", "tenant", "bad"}};
  const std::vector<std::string> ids = {"a", "b", "c", "d", "e"};
  const std::vector<microseconds> latencies(5, microseconds(2000));
  a.add_request(result, ids, microseconds(1500), latencies);
  CHECK(a.sent() == 5);
  CHECK(a.accepted() == 1);
  CHECK(a.duplicates() == 1);
  CHECK(a.rejected() == 2);
  CHECK(a.unavailable() == 1);
  CHECK(a.rejected_by_reason().at("INVALID_FIELD") == 2);
  CHECK(a.examples().at("INVALID_FIELD").id == "c");   // the first one
  CHECK(a.examples().at("INVALID_FIELD").field == "occurred_at");

  RunStats b;
  b.add_request({false, "UNAVAILABLE: connection refused", {}}, std::vector<std::string>{"f", "g"}, microseconds(10),
                std::vector<microseconds>(2, microseconds(10)));
  b.add_request({true, "", {{true, false, "", "", ""}}}, std::vector<std::string>{"h", "i"}, microseconds(10),
                std::vector<microseconds>(2, microseconds(10)));   // one result for two events
  CHECK(b.failed() == 4);
  CHECK(b.failed_requests() == 2);
  a.merge(b);
  CHECK(a.sent() == 9);
  CHECK(a.requests() == 3);
  CHECK(a.failures().at("UNAVAILABLE: connection refused") == 1);
  CHECK(a.failures().size() == 2);
  CHECK(a.request_latency().count() == 3);
  CHECK(a.event_latency().count() == 9);
}

TEST_CASE("the summary shows outcomes, latencies and rejections; JSON carries the same", "[sim][report]") {
  RunReport report;
  report.target = "grpc";
  report.address = "127.0.0.1:7101";
  report.streams = 50;
  report.rate = 5;
  report.seed = 42;
  report.tenants = {"acme", "brightpath"};
  report.planned = 5;
  report.cohort = Cohort{40, 6, 3};
  report.first_event = *core::parse_rfc3339("2026-11-24T20:00:00Z");
  report.last_event = *core::parse_rfc3339("2026-11-25T06:30:00Z");
  report.elapsed_seconds = 2;
  SendResult result;
  result.results = {{true, false, "", "", ""}, {false, false, "INVALID_FIELD", "occurred_at", "too far ahead"}};
  report.stats.add_request(result, std::vector<std::string>{"id-1", "id-2"}, microseconds(3100),
                           std::vector<microseconds>{microseconds(4000), microseconds(5000)});

  const std::string text = render_report(report);
  INFO(text);
  CHECK(text.find("simulated 50 streams at 5 events/s each -> grpc 127.0.0.1:7101") != std::string::npos);
  CHECK(text.find("40 learners, 6 tutors, 3 live classes") != std::string::npos);
  CHECK(text.find("2026-11-24T20:00:00Z .. 2026-11-25T06:30:00Z (10.5 h)") != std::string::npos);
  CHECK(text.find("sent 2 of 5 events in 1 requests over 2.0 s (1.0 events/s)") != std::string::npos);
  CHECK(text.find("accepted          1") != std::string::npos);
  CHECK(text.find("per request   3.10  3.10  3.10  3.10") != std::string::npos);
  CHECK(text.find("INVALID_FIELD") != std::string::npos);
  CHECK(text.find("id-2 occurred_at: too far ahead") != std::string::npos);

  const auto json = report_json(report);
  CHECK(json["accepted"] == 1);
  CHECK(json["rejected"] == 1);
  CHECK(json["rejected_by_reason"]["INVALID_FIELD"] == 1);
  CHECK(json["planned"] == 5);
  CHECK(json["latency_ms"]["request"]["p50"].get<double>() == Approx(3.1));
  CHECK(json["latency_ms"]["event"]["max"].get<double>() == Approx(5.0));
  CHECK(json["world"]["cohort_per_stream"]["learners"] == 40);
  CHECK(json["world"]["first_event"] == "2026-11-24T20:00:00Z");
}

TEST_CASE("the progress line", "[sim][report]") {
  RunStats stats;
  SendResult ok;
  ok.results = {{true, false, "", "", ""}};
  stats.add_request(ok, std::vector<std::string>{"a"}, microseconds(2500), std::vector<microseconds>{microseconds(2500)});
  CHECK(progress_line(3.04, stats, 100, 250) ==
        "3.0s  sent 1/100  accepted 1  dup 0  rejected 0  unavail 0  failed 0  250/s  p50 2.50ms  p99 2.50ms");
  CHECK(format_ms(microseconds(420)) == "0.42");
  CHECK(format_ms(microseconds(12345)) == "12.3");
  CHECK(format_ms(microseconds(1530000)) == "1530");
}
