#include "edfleet/kafka/producer.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "edfleet/core/log.h"
#include "rdkafka_util.h"

namespace edfleet::kafka {

using DeliveryCallback = std::function<void(const DeliveryReport&)>;

class Producer::Impl {
 public:
  explicit Impl(const ProducerConfig& config) : delivery_timeout_(config.delivery_timeout) {
    if (config.bootstrap_servers.empty()) {
      throw std::runtime_error("kafka producer: bootstrap_servers is empty");
    }
    if (config.registry != nullptr) {
      produced_ = &prometheus::BuildCounter()
                       .Name("edfleet_kafka_produced_total")
                       .Help("Records produced to Kafka, by topic and outcome (ok or error).")
                       .Register(*config.registry);
      errors_ = &prometheus::BuildCounter()
                     .Name("edfleet_kafka_producer_errors_total")
                     .Help("Client-level errors reported by Kafka producers, by kind.")
                     .Register(*config.registry);
    }

    detail::Properties properties = {
        {"bootstrap.servers", config.bootstrap_servers},
        {"client.id", config.client_id},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"linger.ms", std::to_string(config.linger.count())},
        {"delivery.timeout.ms", std::to_string(config.delivery_timeout.count())},
        // Reconnect within a second once a broker is back (librdkafka backs off up to 10 s by
        // default, which the broker-outage fault test measured as up to 14 s of extra catch-up).
        {"reconnect.backoff.max.ms", "1000"},
    };
    properties.insert(properties.end(), config.extra.begin(), config.extra.end());
    rk_ = detail::new_client(RD_KAFKA_PRODUCER, properties, "kafka producer", [this](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_opaque(conf, this);
      rd_kafka_conf_set_dr_msg_cb(conf, &Impl::on_delivery);
      rd_kafka_conf_set_error_cb(conf, &Impl::on_error);
      rd_kafka_conf_set_log_cb(conf, &detail::log_callback);
    });
    poller_ = std::thread([this] {
      while (!stopping_.load()) rd_kafka_poll(rk_, 100);
    });
  }

  ~Impl() {
    if (!flush(std::chrono::seconds(10))) {
      core::log::error("kafka producer: records still undelivered at shutdown; failing them",
                       {{"client", rd_kafka_name(rk_)}, {"pending", rd_kafka_outq_len(rk_)}});
      rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      // Serve the purge reports so that every callback runs exactly once.
      rd_kafka_flush(rk_, 2000);
    }
    stopping_.store(true);
    poller_.join();
    rd_kafka_poll(rk_, 0);
    rd_kafka_destroy(rk_);
  }

  void produce(OutgoingMessage message, DeliveryCallback on_delivery) {
    auto callback = std::make_unique<DeliveryCallback>(std::move(on_delivery));
    // An empty key means "no key": librdkafka then spreads records over partitions.
    const void* key = message.key.empty() ? nullptr : message.key.data();
    const auto deadline = std::chrono::steady_clock::now() + delivery_timeout_;
    for (;;) {
      rd_kafka_headers_t* headers = detail::to_rd_headers(message.headers);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(message.topic.c_str()),
          RD_KAFKA_V_KEY(const_cast<void*>(key), message.key.size()),
          RD_KAFKA_V_VALUE(message.value.data(), message.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
          RD_KAFKA_V_OPAQUE(callback.get()), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        callback.release();  // owned by librdkafka until the delivery report
        return;
      }
      rd_kafka_headers_destroy(headers);
      // Queue full is back-pressure, not failure: the poll thread is draining delivery reports, so
      // wait for room (bounded by the delivery timeout, after which the record could not be
      // delivered anyway).
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      DeliveryReport report;
      report.error = rd_kafka_err2str(err);
      count(message.topic, false);
      invoke(*callback, report);
      return;
    }
  }

  std::vector<DeliveryReport> produce_and_wait(std::vector<OutgoingMessage> messages,
                                               std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // Shared with the callbacks, which may run after we gave up waiting.
    struct State {
      std::mutex mutex;
      std::condition_variable done_cv;
      std::vector<DeliveryReport> reports;
      std::vector<bool> done;
      std::size_t remaining = 0;
    };
    auto state = std::make_shared<State>();
    state->reports.resize(messages.size());
    state->done.assign(messages.size(), false);
    state->remaining = messages.size();
    for (std::size_t i = 0; i < messages.size(); ++i) {
      produce(std::move(messages[i]), [state, i](const DeliveryReport& report) {
        std::lock_guard lock(state->mutex);
        if (state->done[i]) return;
        state->reports[i] = report;
        state->done[i] = true;
        if (--state->remaining == 0) state->done_cv.notify_all();
      });
    }
    std::unique_lock lock(state->mutex);
    state->done_cv.wait_until(lock, deadline, [&] { return state->remaining == 0; });
    std::vector<DeliveryReport> reports(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (state->done[i]) {
        reports[i] = state->reports[i];
      } else {
        reports[i].error = "timed out";
      }
    }
    return reports;
  }

  bool flush(std::chrono::milliseconds timeout) {
    return rd_kafka_flush(rk_, static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

 private:
  static void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    std::unique_ptr<DeliveryCallback> callback(static_cast<DeliveryCallback*>(message->_private));
    DeliveryReport report;
    report.ok = message->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (report.ok) {
      report.partition = message->partition;
      report.offset = message->offset;
    } else {
      report.error = rd_kafka_err2str(message->err);
    }
    self->count(message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : "", report.ok);
    if (callback) invoke(*callback, report);
  }

  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    auto code = static_cast<rd_kafka_resp_err_t>(err);
    nlohmann::json fields = {{"client", rd_kafka_name(rk)},
                             {"error", rd_kafka_err2name(code)},
                             {"reason", reason != nullptr ? reason : ""}};
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      char fatal[512];
      rd_kafka_resp_err_t original = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
      fields["fatal_error"] = rd_kafka_err2name(original);
      fields["fatal_reason"] = fatal;
    }
    core::log::error("kafka producer error", fields);
    if (self->errors_ != nullptr) self->errors_->Add({{"kind", detail::error_kind(code)}}).Increment();
  }

  // A delivery callback must never throw into librdkafka's C code.
  static void invoke(const DeliveryCallback& callback, const DeliveryReport& report) {
    if (!callback) return;
    try {
      callback(report);
    } catch (const std::exception& e) {
      core::log::error("kafka producer: delivery callback threw", {{"error", e.what()}});
    } catch (...) {
      core::log::error("kafka producer: delivery callback threw");
    }
  }

  void count(const std::string& topic, bool ok) {
    if (produced_ == nullptr) return;
    prometheus::Counter* counter = nullptr;
    {
      std::lock_guard lock(counters_mutex_);
      auto& slot = counters_[{topic, ok}];
      if (slot == nullptr) slot = &produced_->Add({{"topic", topic}, {"result", ok ? "ok" : "error"}});
      counter = slot;
    }
    counter->Increment();
  }

  std::chrono::milliseconds delivery_timeout_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
  prometheus::Family<prometheus::Counter>* produced_ = nullptr;
  prometheus::Family<prometheus::Counter>* errors_ = nullptr;
  std::mutex counters_mutex_;
  std::map<std::pair<std::string, bool>, prometheus::Counter*> counters_;
};

Producer::Producer(const ProducerConfig& config) : impl_(std::make_unique<Impl>(config)) {}
Producer::~Producer() = default;

void Producer::produce(OutgoingMessage message, std::function<void(const DeliveryReport&)> on_delivery) {
  impl_->produce(std::move(message), std::move(on_delivery));
}

std::vector<DeliveryReport> Producer::produce_and_wait(std::vector<OutgoingMessage> messages,
                                                       std::chrono::milliseconds timeout) {
  return impl_->produce_and_wait(std::move(messages), timeout);
}

bool Producer::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }

}  // namespace edfleet::kafka
