// The dashboard over real HTTP on loopback: tokens and roles as on the gRPC port, actions only
// when allowed, error bodies, the embedded page, and the event stream's first event.
#include "dashboard/http_server.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/test_temp_dir.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "scheduler/scheduler_test_util.h"

namespace augur::dashboard {
namespace {

class HttpServerTest : public testing::SchedulerTest {
 protected:
  void SetUp() override { CreateSweep(v1::POLICY_KIND_NONE, {}, 2); }

  std::unique_ptr<DashboardServer> Serve(bool with_tokens, bool allow_actions) {
    DashboardOptions o;
    o.allow_actions = allow_actions;
    if (with_tokens) {
      o.tokens_file = tmp_.File("tokens");
      std::ofstream(o.tokens_file)
          << "view v-token alice\nsubmit s-token bob\nadmin a-token root\n";
    }
    auto server = DashboardServer::Start(scheduler_.get(), o);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  static httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  const testing::TempDir tmp_{"http_server"};  // Tokens and TLS files; removed with the fixture.
};

TEST_F(HttpServerTest, ServesThePageAndJsonWithoutTokensWhenNoneAreConfigured) {
  auto server = Serve(false, false);
  httplib::Client c("127.0.0.1", server->port());
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/app.js"), std::string::npos);
  auto js = c.Get("/app.js");
  ASSERT_TRUE(js);
  EXPECT_GT(js->body.size(), 10000u);
  auto sweeps = c.Get("/api/v1/sweeps");
  ASSERT_TRUE(sweeps);
  ASSERT_EQ(sweeps->status, 200);
  EXPECT_EQ(nlohmann::json::parse(sweeps->body)["sweeps"][0]["sweep"]["sweep_id"], "s1");
  auto missing = c.Get("/api/v1/sweeps/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"]["code"], "not_found");
  auto bad = c.Get("/api/v1/sweeps/s1/curves?points=lots");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  for (const char* range : {"x_from=5&x_to=5", "x_from=a", "x_to=inf"}) {
    auto bad_range = c.Get(absl::StrCat("/api/v1/sweeps/s1/curves?", range).c_str());
    ASSERT_TRUE(bad_range);
    EXPECT_EQ(bad_range->status, 400) << range;
  }
  auto zoomed = c.Get("/api/v1/sweeps/s1/curves?points=50&x_from=0.5&x_to=1e3");
  ASSERT_TRUE(zoomed);
  ASSERT_EQ(zoomed->status, 200);
  EXPECT_EQ(nlohmann::json::parse(zoomed->body)["x_range"], nlohmann::json::array({0.5, 1000.0}));
  // Read-only by default, whoever asks.
  auto stop = c.Post("/api/v1/sweeps/s1/trials/t001/stop", "{}", "application/json");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 403);
}

// A sweep of 20,000 trials over HTTP: a page at a time, the size capped, bad pages a 400 that
// says what was wrong.
class HttpPagingTest : public HttpServerTest {
 protected:
  void SetUp() override { CreateSweep(v1::POLICY_KIND_NONE, {}, 20000); }
};

TEST_F(HttpPagingTest, SweepAndCurvesArePagedAndBadPagesAre400) {
  auto server = Serve(false, false);
  httplib::Client c("127.0.0.1", server->port());
  auto page = c.Get("/api/v1/sweeps/s1?offset=19900&page_size=50");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  const nlohmann::json j = nlohmann::json::parse(page->body);
  EXPECT_EQ(j["total_trials"], 20000);
  ASSERT_EQ(j["rows"].size(), 50u);
  EXPECT_EQ(j["rows"][0]["short_id"], "t0019900");
  EXPECT_EQ(j["next_offset"], 19950);
  EXPECT_EQ(page->body.find("\"t0019899\""), std::string::npos);  // The row before the page.
  auto first = c.Get("/api/v1/sweeps/s1");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  EXPECT_EQ(nlohmann::json::parse(first->body)["rows"].size(), 100u);  // The default page.
  EXPECT_LT(first->body.size(), 300000u) << "one page of 20,000 trials";
  auto curves = c.Get("/api/v1/sweeps/s1/curves?offset=10&page_size=3");
  ASSERT_TRUE(curves);
  ASSERT_EQ(curves->status, 200) << curves->body;
  EXPECT_EQ(nlohmann::json::parse(curves->body)["curves"].size(), 3u);

  for (const auto& [query, says] : std::vector<std::pair<std::string, std::string>>{
           {"page_size=1001", "page_size must be an integer in [1, 1000] (got '1001')"},
           {"page_size=0", "page_size must be an integer in [1, 1000] (got '0')"},
           {"page_size=all", "page_size must be an integer in [1, 1000] (got 'all')"},
           {"offset=-1", "offset must be an integer in [0, 2147483647] (got '-1')"},
           {"offset=next", "offset must be an integer in [0, 2147483647] (got 'next')"}}) {
    for (const char* path : {"/api/v1/sweeps/s1?", "/api/v1/sweeps/s1/curves?"}) {
      auto bad = c.Get(absl::StrCat(path, query).c_str());
      ASSERT_TRUE(bad);
      EXPECT_EQ(bad->status, 400) << path << query;
      const nlohmann::json error = nlohmann::json::parse(bad->body)["error"];
      EXPECT_EQ(error["code"], "invalid_argument") << path << query;
      EXPECT_EQ(error["message"], says) << path << query;
    }
  }
}

// Browsers accept Brotli, which Debian's httplib would answer at quality 11 (seconds per
// megabyte): the page and the JSON are gzipped by the server instead (compress.h).
TEST_F(HttpServerTest, BrowsersGetGzipNotBrotli) {
  auto server = Serve(false, false);
  httplib::Client c("127.0.0.1", server->port());
  c.set_decompress(false);
  const httplib::Headers browser = {{"Accept-Encoding", "gzip, deflate, br, zstd"}};
  for (const char* path : {"/app.js", "/api/v1/sweeps", "/api/v1/sweeps/s1/curves?points=all"}) {
    auto r = c.Get(path, browser);
    ASSERT_TRUE(r) << path;
    ASSERT_EQ(r->status, 200) << path;
    if (r->body.size() > 1400) {
      EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip") << path;
    } else {
      EXPECT_NE(r->get_header_value("Content-Encoding"), "br") << path;
    }
  }
  c.set_decompress(true);
  auto js = c.Get("/app.js", browser);
  ASSERT_TRUE(js);
  EXPECT_NE(js->body.find("augur:drawn"), std::string::npos);  // Decompressed: the bundle.
}

TEST_F(HttpServerTest, TokensAndRolesApplyToReadsActionsAndTheEventStream) {
  auto server = Serve(true, true);
  httplib::Client c("127.0.0.1", server->port());
  auto anonymous = c.Get("/api/v1/sweeps/s1");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto wrong = c.Get("/api/v1/sweeps/s1", Bearer("nope"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto viewer = c.Get("/api/v1/sweeps/s1", Bearer("v-token"));
  ASSERT_TRUE(viewer);
  EXPECT_EQ(viewer->status, 200);
  auto view_stop =
      c.Post("/api/v1/sweeps/s1/trials/t001/stop", Bearer("v-token"), "{}", "application/json");
  ASSERT_TRUE(view_stop);
  EXPECT_EQ(view_stop->status, 403);  // The view role may not act.
  // bob may act, but not on a sweep he did not submit (as over gRPC); an admin may.
  auto submit_stop = c.Post("/api/v1/sweeps/s1/trials/t001/stop", Bearer("s-token"),
                            R"({"reason": "enough"})", "application/json");
  ASSERT_TRUE(submit_stop);
  EXPECT_EQ(submit_stop->status, 403) << submit_stop->body;
  auto not_bobs_tag =
      c.Post("/api/v1/sweeps/s1/tags", Bearer("s-token"), R"({"add": ["x"]})", "application/json");
  ASSERT_TRUE(not_bobs_tag);
  EXPECT_EQ(not_bobs_tag->status, 403) << not_bobs_tag->body;
  auto admin_stop = c.Post("/api/v1/sweeps/s1/trials/t001/stop", Bearer("a-token"),
                           R"({"reason": "enough"})", "application/json");
  ASSERT_TRUE(admin_stop);
  ASSERT_EQ(admin_stop->status, 200) << admin_stop->body;
  EXPECT_EQ(nlohmann::json::parse(admin_stop->body)["trial"]["state"], "cancelled");
  auto tagged = c.Post("/api/v1/sweeps/s1/tags", Bearer("a-token"), R"({"add": ["keep"]})",
                       "application/json");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->status, 200) << tagged->body;

  // The event stream takes the token as a parameter; its first event comes at once.
  std::string received;
  c.Get("/api/v1/events?access_token=v-token", [&](const char* data, size_t length) {
    received.append(data, length);
    return received.find("\n\n") == std::string::npos;  // Stop after the first event.
  });
  EXPECT_NE(received.find("event: change"), std::string::npos) << received;
  auto no_token = c.Get("/api/v1/events");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 401);
}

TEST_F(HttpServerTest, ABadAddressOrTokensFileIsAnError) {
  DashboardOptions o;
  o.listen = "no-port";
  EXPECT_EQ(DashboardServer::Start(scheduler_.get(), o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:0";
  o.tokens_file = tmp_.File("missing_tokens_file");
  EXPECT_FALSE(DashboardServer::Start(scheduler_.get(), o).ok());
  o.listen = "off";
  auto none = StartUnlessOff(scheduler_.get(), o);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
}

// With the scheduler's certificate and key the dashboard serves HTTPS, checked against the CA
// (here the self-signed certificate itself), and plain HTTP on that port gets nothing.
TEST_F(HttpServerTest, WithTlsFilesItServesHttpsOnly) {
  const std::string& dir = tmp_.path();
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl (setup.sh installs it) failed: " << cmd;
  DashboardOptions o;
  o.tls.cert_file = cert;
  o.tls.key_file = key;
  auto server = DashboardServer::Start(scheduler_.get(), o);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->url().rfind("https://127.0.0.1:", 0), 0u) << (*server)->url();
  httplib::SSLClient secure("127.0.0.1", (*server)->port());
  secure.set_ca_cert_path(cert.c_str());
  secure.enable_server_certificate_verification(true);
  auto sweeps = secure.Get("/api/v1/sweeps");
  ASSERT_TRUE(sweeps) << httplib::to_string(sweeps.error());
  EXPECT_EQ(sweeps->status, 200);
  httplib::Client plain("127.0.0.1", (*server)->port());
  plain.set_read_timeout(2, 0);
  auto refused = plain.Get("/api/v1/sweeps");
  EXPECT_TRUE(!refused || refused->status != 200);
  // Half a pair is refused with a reason naming the flag or file.
  o.tls.key_file.clear();
  EXPECT_FALSE(DashboardServer::Start(scheduler_.get(), o).ok());
  std::filesystem::remove_all(dir);
}

// `augur run` on a finished sweep starts the dashboard and stops it at once: Stop must not wait
// for ever on an accept() that started after it (it did, about one run in a few hundred).
TEST_F(HttpServerTest, AServerStoppedRightAfterStartStops) {
  for (int i = 0; i < 200; ++i) {
    auto server = DashboardServer::Start(scheduler_.get(), DashboardOptions{});
    ASSERT_TRUE(server.ok()) << server.status();
    (*server)->Stop();
  }
}

}  // namespace
}  // namespace augur::dashboard
