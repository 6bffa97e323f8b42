#include "edfleet/testing/metrics.h"

#include <stdexcept>
#include <string_view>

#include <httplib.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace edfleet::testing {
namespace {

bool includes(const MetricLabels& have, const MetricLabels& want) {
  for (const auto& [key, value] : want) {
    const auto it = have.find(key);
    if (it == have.end() || it->second != value) return false;
  }
  return true;
}

// One sample line of the text format: name{label="value",...} value [timestamp]. False for
// anything else (comments, blank lines, a malformed line).
bool parse_sample(std::string_view line, std::string& name, MetricLabels& labels, double& value) {
  labels.clear();
  const auto name_end = line.find_first_of("{ \t");
  if (name_end == 0 || name_end == std::string_view::npos || line.front() == '#') return false;
  name.assign(line.substr(0, name_end));
  std::size_t at = name_end;
  if (line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const auto eq = line.find('=', at);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
      std::string key(line.substr(at, eq - at));
      std::string text;
      at = eq + 2;
      for (; at < line.size() && line[at] != '"'; ++at) {
        if (line[at] == '\\' && at + 1 < line.size()) {
          ++at;
          text += line[at] == 'n' ? '\n' : line[at];
        } else {
          text += line[at];
        }
      }
      if (at >= line.size()) return false;
      labels[std::move(key)] = std::move(text);
      ++at;                                      // the closing quote
      if (at < line.size() && line[at] == ',') ++at;
    }
    if (at >= line.size()) return false;
    ++at;                                        // the closing brace
  }
  const auto start = line.find_first_not_of(" \t", at);
  if (start == std::string_view::npos) return false;
  const auto end = line.find_first_of(" \t", start);
  try {
    value = std::stod(std::string(line.substr(start, end - start)));
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

double metric(prometheus::Registry& registry, const std::string& name, const MetricLabels& labels) {
  double total = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      MetricLabels have;
      for (const auto& label : m.label) have[label.name] = label.value;
      if (!includes(have, labels)) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter: total += m.counter.value; break;
        case prometheus::MetricType::Gauge: total += m.gauge.value; break;
        case prometheus::MetricType::Untyped: total += m.untyped.value; break;
        case prometheus::MetricType::Histogram: total += static_cast<double>(m.histogram.sample_count); break;
        case prometheus::MetricType::Summary: total += static_cast<double>(m.summary.sample_count); break;
      }
    }
  }
  return total;
}

double metric_in_text(const std::string& text, const std::string& name, const MetricLabels& labels) {
  double total = 0;
  std::string sample_name;
  MetricLabels sample_labels;
  double value = 0;
  std::string_view rest(text);
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (parse_sample(line, sample_name, sample_labels, value) && sample_name == name &&
        includes(sample_labels, labels)) {
      total += value;
    }
  }
  return total;
}

double scrape_metric(int http_port, const std::string& name, const MetricLabels& labels) {
  httplib::Client http("127.0.0.1", http_port);
  http.set_connection_timeout(5);
  http.set_read_timeout(10);
  const auto response = http.Get("/metrics");
  if (!response || response->status != 200) {
    throw std::runtime_error("scrape_metric: GET http://127.0.0.1:" + std::to_string(http_port) + "/metrics " +
                             (response ? "answered " + std::to_string(response->status)
                                       : "failed: " + httplib::to_string(response.error())));
  }
  return metric_in_text(response->body, name, labels);
}

}  // namespace edfleet::testing
