// Gzip for the dashboard's answers, at a fast level, done here rather than by cpp-httplib:
// Debian's cpp-httplib 0.11 answers every client that accepts Brotli (every browser) with
// Brotli at quality 11, which costs seconds per megabyte (a 100-trial sweep page's curves took
// 6 s to arrive in Chromium, against 0.1 s to build them). httplib compresses only the content
// types it lists ("application/json", "text/...") and leaves "application/json; charset=utf-8"
// alone, so the answers set here are sent as they are. Thread-safe.
#ifndef AUGUR_DASHBOARD_COMPRESS_H_
#define AUGUR_DASHBOARD_COMPRESS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "httplib.h"

namespace augur::dashboard {

// zlib's fastest level: several times quicker than the default for about a fifth more bytes
// (a sweep's curves are built in memory and sent at once).
inline constexpr int kGzipLevel = 1;

// `body` as a gzip member (RFC 1952) at `level` (zlib's 1-9). INTERNAL if zlib fails.
absl::StatusOr<std::string> Gzip(std::string_view body, int level = kGzipLevel);

// True if the request's Accept-Encoding names gzip.
bool AcceptsGzip(const httplib::Request& req);

// Sets `res` to `body`, gzipped when the client accepts gzip and the body is larger than a
// packet. `content_type` must not be one httplib compresses (give it a "; charset=utf-8"):
// "application/json; charset=utf-8", "application/javascript; charset=utf-8".
void SetBody(const httplib::Request& req, httplib::Response& res, std::string body,
             const std::string& content_type);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_COMPRESS_H_
