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

}  // namespace edfleet::kafka::detail
