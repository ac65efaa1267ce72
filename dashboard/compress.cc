#include "dashboard/compress.h"

#include <zlib.h>

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace augur::dashboard {

absl::StatusOr<std::string> Gzip(std::string_view body, int level) {
  if (body.size() > std::numeric_limits<uInt>::max() / 2) {
    return absl::InternalError("zlib: body too large for one deflate call");
  }
  z_stream z{};
  // 15 window bits, +16 for a gzip header and trailer.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(body.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int done = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (done != Z_STREAM_END) return absl::InternalError(absl::StrCat("zlib: deflate ", done));
  return out;
}

bool AcceptsGzip(const httplib::Request& req) {
  return req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
}

void SetBody(const httplib::Request& req, httplib::Response& res, std::string body,
             const std::string& content_type) {
  constexpr size_t kWorthIt = 1400;
  res.set_header("Vary", "Accept-Encoding");
  if (body.size() > kWorthIt && AcceptsGzip(req)) {
    absl::StatusOr<std::string> gz = Gzip(body);
    if (gz.ok()) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(std::move(*gz), content_type);
      return;
    }
  }
  res.set_content(std::move(body), content_type);
}

}  // namespace augur::dashboard
