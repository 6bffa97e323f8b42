#include "supervisor.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace edfleet::cli {

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace

std::optional<nlohmann::json> read_ready_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

Supervisor::Supervisor(ProcessLauncher& launcher, const StopRequest& stop, const core::Clock& clock,
                       Options options, std::function<void(std::string_view, std::string_view)> on_output,
                       std::function<void(std::string_view)> note)
    : launcher_(launcher),
      stop_(stop),
      clock_(clock),
      options_(options),
      on_output_(std::move(on_output)),
      note_(std::move(note)) {}

Supervisor::~Supervisor() {
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (!it->status && !it->process->try_wait()) it->process->kill();
  }
  children_.clear();   // the ChildProcess destructors reap and join their output threads
}

int Supervisor::pid(std::string_view name) const {
  for (const auto& child : children_) {
    if (child.name == name) return child.process->pid();
  }
  return 0;
}

core::Result<nlohmann::json> Supervisor::start(const LaunchSpec& spec, const std::string& ready_file) {
  std::error_code ignored;
  std::filesystem::remove(ready_file, ignored);

  std::unique_ptr<ChildProcess> process;
  try {
    process = launcher_.launch(spec, [this, name = spec.name](std::string_view line) { on_output_(name, line); });
  } catch (const std::exception& e) {
    return core::Error::unavailable("cannot start " + spec.name + ": " + e.what());
  }
  children_.push_back({spec.name, std::move(process), std::nullopt});
  Child& child = children_.back();
  note_("started " + spec.name + " (pid " + std::to_string(child.process->pid()) + "), waiting until it is ready");

  const auto deadline = clock_.steady_now() + options_.ready_timeout;
  while (true) {
    if (auto ready = read_ready_file(ready_file)) return *ready;
    if (auto status = child.process->try_wait()) {
      child.status = status;
      // The child may have written its ready file just before dying; it is still a failure.
      return core::Error::unavailable(spec.name + " " + describe_exit(*status) + " before it was ready");
    }
    if (stop_.requested()) {
      stop_baseline_ = stop_.count();
      stop_child(child);
      return core::Error{core::ErrorCode::kFailedPrecondition, "stop requested while " + spec.name + " was starting", {}};
    }
    if (clock_.steady_now() >= deadline) {
      stop_baseline_ = stop_.count();
      note_(spec.name + " is not ready after " + seconds_text(options_.ready_timeout) + "; stopping it");
      stop_child(child);
      return core::Error{core::ErrorCode::kDeadlineExceeded,
                         spec.name + " was not ready after " + seconds_text(options_.ready_timeout) +
                             " (no ready file at " + ready_file + ")",
                         {}};
    }
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

std::optional<ChildExit> Supervisor::watch() {
  while (true) {
    if (stop_.requested()) return std::nullopt;
    for (auto& child : children_) {
      if (child.status) continue;
      if (auto status = child.process->try_wait()) {
        child.status = status;
        return ChildExit{child.name, *status};
      }
    }
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

std::vector<ChildExit> Supervisor::stop_all() {
  stop_baseline_ = stop_.count();
  std::vector<ChildExit> exits;
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) exits.push_back(stop_child(*it));
  return exits;
}

ChildExit Supervisor::stop_child(Child& child) {
  if (child.status) return {child.name, *child.status};
  if (auto status = child.process->try_wait()) {
    child.status = status;
    return {child.name, *status};
  }
  // A further stop request (a second Ctrl-C) while stopping means "now": skip the grace periods.
  bool forced = stop_.count() > stop_baseline_;
  if (!forced) {
    note_("stopping " + child.name);
    child.process->signal(SIGTERM);
  }
  const auto deadline = clock_.steady_now() + options_.stop_grace;
  while (!forced) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.steady_now());
    if (remaining <= std::chrono::milliseconds(0)) break;
    if (auto status = child.process->wait_for(std::min(remaining, options_.poll_interval))) {
      child.status = status;
      return {child.name, *status};
    }
    forced = stop_.count() > stop_baseline_;
  }
  note_(forced ? "killing " + child.name + " (stop requested again)"
               : child.name + " did not stop within " + seconds_text(options_.stop_grace) + "; killing it");
  child.process->kill();
  child.status = child.process->wait_for(std::chrono::seconds(10)).value_or(-SIGKILL);
  return {child.name, *child.status};
}

}  // namespace edfleet::cli
