// What `edfleet up` shows on the terminal: every child's output line prefixed with the child's name
// (padded so the lines align, coloured when stdout is a terminal), and service log lines (JSON) shown
// compactly unless the operator wants them raw.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace edfleet::cli {

// A stable ANSI colour code (e.g. 36 for cyan) for a source name.
int colour_for(std::string_view source);

// "ingest    | text" (the name padded to `width`); with colour, the prefix is wrapped in the
// source's colour. No trailing newline.
std::string prefix_line(std::string_view source, std::size_t width, bool colour, std::string_view line);

// A structured log line ({"ts":..,"level":..,"msg":..,...}) as "09:30:00.123 INFO  msg key=value ...";
// lines that are not JSON log objects come back unchanged.
std::string compact_log_line(std::string_view line);

// Writes prefixed lines from many threads (one per child pipe) without interleaving them.
class PrefixedWriter {
 public:
  PrefixedWriter(std::FILE* out, bool colour, bool raw_logs, std::size_t width);

  void write(std::string_view source, std::string_view line);
  // A line from edfleet itself ("edfleet | ..."), e.g. progress during start-up.
  void note(std::string_view line) { write("edfleet", line); }
  // Output that is not prefixed (the endpoints table).
  void raw(std::string_view text);
  bool colour() const { return colour_; }

 private:
  std::mutex mutex_;
  std::FILE* out_;
  bool colour_;
  bool raw_logs_;
  std::size_t width_;
};

}  // namespace edfleet::cli
