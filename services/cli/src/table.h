// Plain-text tables for the terminal: a header row, a rule, and columns padded to their widest cell.
#pragma once

#include <string>
#include <vector>

namespace edfleet::cli {

class Table {
 public:
  enum class Align { kLeft, kRight };

  explicit Table(std::vector<std::string> headers);

  // Right-aligns a column (numbers read better that way).
  Table& align(std::size_t column, Align alignment);
  // Rows shorter than the header are padded with empty cells; longer ones are an error (throws).
  Table& add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }

  // Columns separated by two spaces; no trailing spaces; one '\n' per line.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> alignment_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text, counting code points (good enough for the ids and names we print).
std::size_t display_width(const std::string& text);

}  // namespace edfleet::cli
