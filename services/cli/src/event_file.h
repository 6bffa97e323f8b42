// Reading events for `edfleet publish`: a file (or stdin) holding one JSON object, a JSON array of
// objects, or JSON Lines (one object per line). Each event comes back as its own JSON text with its
// position, so conversion errors can point at the right place.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "edfleet/core/result.h"

namespace edfleet::cli {

struct EventText {
  std::size_t index = 0;   // 0-based position in the input
  std::size_t line = 0;    // 1-based line where the event starts (0 when unknown, e.g. in an array)
  std::string json;        // the event object as compact JSON
};

// Splits `text` into event objects. Errors (kInvalidArgument) name the line and what is wrong:
// not JSON, or an element that is not an object. Blank lines in JSON Lines are skipped.
core::Result<std::vector<EventText>> split_events(std::string_view text);

// Reads the whole of `path`, or `stdin_stream` when path is "-".
core::Result<std::string> read_input(const std::string& path, std::istream& stdin_stream);

}  // namespace edfleet::cli
