// Gzip gives back what zlib inflates to the same bytes; SetBody compresses only for clients
// that accept gzip and bodies worth it.
#include "dashboard/compress.h"

#include <zlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace augur::dashboard {
namespace {

std::string Gunzip(const std::string& gz, size_t size) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(size + 1, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

std::string Json(int n) {
  std::string s = "{\"x\":[";
  for (int i = 0; i < n; ++i) absl::StrAppend(&s, i ? "," : "", 4096 * i, ".5");
  return s + "]}";
}

TEST(CompressTest, GzipRoundTripsAndShrinksJson) {
  const std::string body = Json(20000);
  auto gz = Gzip(body);
  ASSERT_TRUE(gz.ok()) << gz.status();
  EXPECT_LT(gz->size(), body.size() / 2);
  EXPECT_EQ(Gunzip(*gz, body.size()), body);
  EXPECT_EQ(Gunzip(*Gzip(""), 0), "");
}

TEST(CompressTest, SetBodyGzipsForClientsThatAcceptIt) {
  const std::string body = Json(2000);
  httplib::Request browser, plain;
  browser.headers.emplace("Accept-Encoding", "gzip, deflate, br");
  httplib::Response zipped, sent;
  SetBody(browser, zipped, body, "application/json; charset=utf-8");
  EXPECT_EQ(zipped.get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(Gunzip(zipped.body, body.size()), body);
  SetBody(plain, sent, body, "application/json; charset=utf-8");
  EXPECT_FALSE(sent.has_header("Content-Encoding"));
  EXPECT_EQ(sent.body, body);
  httplib::Response small;
  SetBody(browser, small, "{}", "application/json; charset=utf-8");
  EXPECT_FALSE(small.has_header("Content-Encoding"));
  EXPECT_EQ(small.body, "{}");
}

}  // namespace
}  // namespace augur::dashboard
