#include "table.h"

#include <stdexcept>

namespace edfleet::cli {

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;   // count lead bytes only
  }
  return width;
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), alignment_(headers_.size(), Align::kLeft) {}

Table& Table::align(std::size_t column, Align alignment) {
  alignment_.at(column) = alignment;
  return *this;
}

Table& Table::add_row(std::vector<std::string> cells) {
  if (cells.size() > headers_.size()) {
    throw std::invalid_argument("table row has " + std::to_string(cells.size()) + " cells, header " +
                                std::to_string(headers_.size()));
  }
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
  return *this;
}

std::string Table::render() const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) widths[c] = display_width(headers_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }

  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::size_t pad = widths[c] - display_width(cells[c]);
      bool last = c + 1 == cells.size();
      if (alignment_[c] == Align::kRight) {
        out.append(pad, ' ');
        out += cells[c];
      } else {
        out += cells[c];
        if (!last) out.append(pad, ' ');
      }
      if (!last) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };

  std::string out = line(headers_);
  std::vector<std::string> rule;
  for (auto w : widths) rule.emplace_back(w, '-');
  out += line(rule);
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace edfleet::cli
