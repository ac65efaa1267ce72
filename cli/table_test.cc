#include "cli/table.h"

#include "gtest/gtest.h"

namespace augur::cli {
namespace {

TEST(TableTest, AlignsColumnsWithoutTrailingSpaces) {
  Table t({"NAME", "LOSS", "NOTE"});
  t.SetAlign(1, Table::Align::kRight);
  t.AddRow({"t001", "3.5", "ok"});
  t.AddRow({"t0002", "12.25"});
  EXPECT_EQ(t.ToString(),
            "NAME    LOSS  NOTE\n"
            "t001     3.5  ok\n"
            "t0002  12.25\n");
  EXPECT_EQ(t.rows(), 2u);
}

TEST(TableTest, CountsUtf8CodePointsForWidth) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("\xe2\x96\x88\xe2\x96\x88 x"), 4u);  // "██ x"
  Table t({"BAR", "N"});
  t.AddRow({"\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88", "1"});
  t.AddRow({"-", "2"});
  EXPECT_EQ(t.ToString(),
            "BAR  N\n"
            "\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88  1\n"
            "-    2\n");
}

}  // namespace
}  // namespace augur::cli
