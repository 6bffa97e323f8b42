#include "domain/xapi/multipart.h"

#include <algorithm>
#include <cctype>

namespace edfleet::ingest::xapi {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?" / " ".
bool is_bchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

core::Error invalid(std::string message) { return core::Error::invalid(std::move(message), "Content-Type"); }

std::string part_name(std::size_t index) {
  return index == 0 ? std::string("the first part (the statements)") : "part " + std::to_string(index + 1);
}

}  // namespace

std::optional<std::string> MultipartPart::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (lower(key) == wanted) return std::string(trim(value));
  }
  return std::nullopt;
}

std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

core::Result<std::string> multipart_boundary(std::string_view content_type) {
  std::optional<std::string> boundary;
  std::string_view rest = content_type;
  for (std::size_t semi = rest.find(';'); semi != std::string_view::npos; semi = rest.find(';')) {
    rest.remove_prefix(semi + 1);
    std::string_view param = trim(rest.substr(0, rest.find(';')));
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || lower(trim(param.substr(0, eq))) != "boundary") continue;
    std::string_view value = trim(param.substr(eq + 1));
    if (!value.empty() && value.front() == '"') {
      // A quoted boundary may contain ';': take everything up to the closing quote.
      const std::size_t start = static_cast<std::size_t>(value.data() - rest.data()) + 1;
      const auto close = rest.find('"', start);
      if (close == std::string_view::npos) return invalid("The boundary parameter has no closing quote.");
      value = rest.substr(start, close - start);
      rest.remove_prefix(close + 1);
    }
    boundary = std::string(value);
  }
  if (!boundary) {
    return invalid("A multipart/mixed Content-Type needs a boundary parameter, e.g. multipart/mixed; boundary=xyz.");
  }
  if (boundary->empty() || boundary->size() > 70) {
    return invalid("The multipart boundary must have 1 to 70 characters; got " + std::to_string(boundary->size()) + ".");
  }
  if (!std::all_of(boundary->begin(), boundary->end(), is_bchar) || boundary->back() == ' ') {
    return invalid("The multipart boundary \"" + *boundary +
                   "\" has characters RFC 2046 does not allow (letters, digits and '()+_,-./:=? only).");
  }
  return *boundary;
}

core::Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary) {
  const std::string dash = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash;
  // The first delimiter may open the body (no preamble) or follow a preamble line.
  std::size_t at = 0;
  if (body.substr(0, dash.size()) != dash) {
    at = body.find(delimiter);
    if (at == std::string_view::npos) {
      return invalid("The body does not contain the multipart boundary \"" + std::string(boundary) +
                     "\" of its Content-Type (delimiters are CRLF \"--\" boundary).");
    }
    at += 2;
  }
  std::vector<MultipartPart> parts;
  for (;;) {
    at += dash.size();
    if (body.substr(at, 2) == "--") break;  // the close delimiter
    // Transport padding, then the CRLF ending the delimiter line.
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
    if (body.substr(at, 2) != "\r\n") {
      return invalid("The delimiter line before " + part_name(parts.size()) + " does not end in CRLF.");
    }
    at += 2;
    const auto end = body.find(delimiter, at);
    if (end == std::string_view::npos) {
      return invalid("The multipart body is not closed: no \"" + dash + "--\" after " + part_name(parts.size()) + ".");
    }
    std::string_view content = body.substr(at, end - at);
    MultipartPart part;
    // Header fields up to an empty line (a part without headers starts with the empty line).
    std::size_t line_start = 0;
    for (;;) {
      const auto eol = content.find("\r\n", line_start);
      if (eol == std::string_view::npos && line_start == content.size() && line_start > 0) break;  // empty body
      if (eol == std::string_view::npos) {
        return invalid(part_name(parts.size()) + " has no empty line between its headers and its content.");
      }
      const std::string_view line = content.substr(line_start, eol - line_start);
      line_start = eol + 2;
      if (line.empty()) break;
      if ((line.front() == ' ' || line.front() == '\t') && !part.headers.empty()) {
        part.headers.back().second += " " + std::string(trim(line));  // folded continuation
        continue;
      }
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return invalid(part_name(parts.size()) + " has a malformed header line \"" + std::string(line.substr(0, 80)) +
                       "\" (expected Name: value).");
      }
      part.headers.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }
    part.body = std::string(content.substr(line_start));
    parts.push_back(std::move(part));
    at = end + 2;
  }
  if (parts.empty()) return invalid("The multipart body has no parts.");
  return parts;
}

std::string write_multipart(std::string_view boundary, const std::vector<MultipartPart>& parts) {
  std::size_t size = 0;
  for (const auto& p : parts) size += p.body.size() + 128;
  std::string out;
  out.reserve(size);
  for (const auto& p : parts) {
    out += "--";
    out += boundary;
    out += "\r\n";
    for (const auto& [name, value] : p.headers) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    out += "\r\n";
    out += p.body;
    out += "\r\n";
  }
  out += "--";
  out += boundary;
  out += "--\r\n";
  return out;
}

}  // namespace edfleet::ingest::xapi
