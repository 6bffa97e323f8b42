#include "rdkafka_util.h"

#include <cctype>
#include <stdexcept>

#include "edfleet/core/log.h"

namespace edfleet::kafka::detail {

void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                  std::string_view what) {
  char error[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error(std::string(what) + ": invalid property " + key + "=" + value + ": " +
                             error);
  }
}

rd_kafka_t* new_client(rd_kafka_type_t type, const Properties& properties, const std::string& what,
                       const std::function<void(rd_kafka_conf_t*)>& customize) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    for (const auto& [key, value] : properties) set_property(conf, key, value, what);
    if (customize) customize(conf);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(what + ": " + error);
  }
  return rk;  // owns conf now
}

void log_line(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  nlohmann::json fields = {{"client", rk != nullptr ? rd_kafka_name(rk) : ""},
                           {"facility", facility != nullptr ? facility : ""}};
  std::string message = std::string("librdkafka: ") + (text != nullptr ? text : "");
  if (level <= 3) {
    core::log::error(message, fields);
  } else if (level == 4) {
    core::log::warn(message, fields);
  } else if (level <= 6) {
    core::log::info(message, fields);
  } else {
    core::log::debug(message, fields);
  }
}

void log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  log_line(rk, level, facility, text);
}

std::string error_kind(rd_kafka_resp_err_t err) {
  std::string name = rd_kafka_err2name(err);
  std::size_t start = name.find_first_not_of('_');
  name = start == std::string::npos ? std::string("unknown") : name.substr(start);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

rd_kafka_headers_t* to_rd_headers(const Headers& headers) {
  rd_kafka_headers_t* out = rd_kafka_headers_new(headers.size());
  for (const auto& [name, value] : headers) {
    rd_kafka_header_add(out, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  return out;
}

Headers headers_of(const rd_kafka_message_t* message) {
  Headers out;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                     RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    out.emplace_back(name, value != nullptr ? std::string(static_cast<const char*>(value), size)
                                            : std::string());
  }
  return out;
}

ConsumedMessage to_consumed(const rd_kafka_message_t* message) {
  ConsumedMessage out;
  out.topic = rd_kafka_topic_name(message->rkt);
  out.partition = message->partition;
  out.offset = message->offset;
  if (message->key != nullptr) out.key.assign(static_cast<const char*>(message->key), message->key_len);
  if (message->payload != nullptr) out.value.assign(static_cast<const char*>(message->payload), message->len);
  out.headers = headers_of(message);
  rd_kafka_timestamp_type_t type;
  out.timestamp_ms = rd_kafka_message_timestamp(message, &type);
  return out;
}

std::vector<int32_t> partitions_of(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  std::vector<int32_t> out;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (handle == nullptr) return out;
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(rk, 0, handle, &metadata, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) out.push_back(metadata->topics[0].partitions[i].id);
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(handle);
  return out;
}

}  // namespace edfleet::kafka::detail
