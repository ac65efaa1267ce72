// A plain-text table with aligned columns, for the `--output table` form of every command.
//
// Widths count UTF-8 code points, so progress bars drawn with block characters (later, in
// `augur top`) align like ASCII. Numeric-looking columns are best right-aligned; the caller says
// which. Not thread-safe.
#ifndef AUGUR_CLI_TABLE_H_
#define AUGUR_CLI_TABLE_H_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace augur::cli {

class Table {
 public:
  enum class Align { kLeft, kRight };

  // One header per column; all columns left-aligned until SetAlign.
  explicit Table(std::vector<std::string> headers);

  // `column` must exist (aborts otherwise: a programmer error).
  void SetAlign(size_t column, Align align);
  // A row with fewer cells than headers is padded with empty cells; extra cells are a
  // programmer error (aborts).
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // Header, then rows; columns separated by two spaces; no trailing spaces.
  void Print(std::ostream& out) const;
  std::string ToString() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// Number of UTF-8 code points in `text` (bytes that are not continuation bytes).
size_t DisplayWidth(std::string_view text);

}  // namespace augur::cli

#endif  // AUGUR_CLI_TABLE_H_
