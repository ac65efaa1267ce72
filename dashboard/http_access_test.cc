// Access control on every HTTP endpoint of the dashboard, table-driven as tests/access_test.cc
// is for the RPCs (issue 17): each endpoint is called by each kind of caller (no token, an
// unknown token, view, worker, submit who does not own the sweep, submit who does, admin) on a
// dashboard with tokens and actions on; every refusal must be 401 (who are you?) or 403 (not
// allowed), logged without the token, and change nothing in the store. The table must name
// every endpoint the server serves (DashboardServer::endpoints), so a new route without a row
// fails here; the embedded page files are the only ones open to all, and carry no sweep data.
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/log.h"
#include "common/test_temp_dir.h"
#include "dashboard/assets.h"
#include "dashboard/http_server.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "scheduler/scheduler_test_util.h"

namespace augur::dashboard {
namespace {

enum class Needs { kView, kOwner };

struct Endpoint {
  std::string route;  // As DashboardServer::endpoints() names it.
  std::string path;   // A concrete request of it, on sweep s1 (owned by alice).
  Needs needs;
};

const std::vector<Endpoint>& Table() {
  static const auto* table = new std::vector<Endpoint>{
      {"GET /api/v1/sweeps", "/api/v1/sweeps", Needs::kView},
      {"GET /api/v1/sweeps/([^/]+)", "/api/v1/sweeps/s1", Needs::kView},
      {"GET /api/v1/sweeps/([^/]+)/curves", "/api/v1/sweeps/s1/curves", Needs::kView},
      {"GET /api/v1/sweeps/([^/]+)/trials/([^/]+)", "/api/v1/sweeps/s1/trials/t001", Needs::kView},
      {"GET /api/v1/events", "/api/v1/events", Needs::kView},
      {"POST /api/v1/sweeps/([^/]+)/trials/([^/]+)/stop", "/api/v1/sweeps/s1/trials/t001/stop",
       Needs::kOwner},
      {"POST /api/v1/sweeps/([^/]+)/trials/([^/]+)/pause", "/api/v1/sweeps/s1/trials/t001/pause",
       Needs::kOwner},
      {"POST /api/v1/sweeps/([^/]+)/trials/([^/]+)/resume", "/api/v1/sweeps/s1/trials/t001/resume",
       Needs::kOwner},
      {"POST /api/v1/sweeps/([^/]+)/tags", "/api/v1/sweeps/s1/tags", Needs::kOwner},
  };
  return *table;
}

struct CallerKind {
  std::string label, token;
  std::set<Needs> allowed;
  int refused_with;  // The HTTP status of a refusal.
};

const std::vector<CallerKind>& Callers() {
  static const auto* callers = new std::vector<CallerKind>{
      {"no token", "", {}, 401},
      {"unknown token", "not-a-t0ken", {}, 401},
      {"view", "v1ew-t0ken", {Needs::kView}, 403},
      {"worker", "w0rker-t0ken", {}, 403},
      {"submit, not the owner", "b0b-t0ken", {Needs::kView}, 403},
      {"submit, the owner", "al1ce-t0ken", {Needs::kView, Needs::kOwner}, 403},
      {"admin", "adm1n-t0ken", {Needs::kView, Needs::kOwner}, 403},
  };
  return *callers;
}

struct Reply {
  int status = 0;
  std::string body;
};

class HttpAccess : public testing::SchedulerTest {
 protected:
  void SetUp() override {
    v1::Sweep sweep;
    sweep.set_sweep_id("s1");
    sweep.set_owner("alice");
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    ASSERT_TRUE(
        store_.CreateSweep(sweep, {testing::MakeTrial("s1", 0), testing::MakeTrial("s1", 1)}).ok());
    DashboardOptions o;
    o.allow_actions = true;  // The strictest case: actions exist, and only some may use them.
    o.tokens_file = tmp_.File("tokens");
    std::ofstream(o.tokens_file) << "admin adm1n-t0ken root\nsubmit al1ce-t0ken alice\n"
                                    "submit b0b-t0ken bob\nview v1ew-t0ken viewer\n"
                                    "worker w0rker-t0ken nodes\n";
    auto server = DashboardServer::Start(scheduler_.get(), o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // One request; the event stream is read up to its first event (it never ends by itself).
  Reply Call(const Endpoint& e, const std::string& token) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    Reply reply;
    if (absl::StartsWith(e.route, "POST")) {
      auto res = c.Post(e.path, headers, R"({"reason": "access test", "add": ["touched"]})",
                        "application/json");
      if (res) reply = {res->status, res->body};
      return reply;
    }
    auto res = c.Get(e.path, headers, [&](const char* data, size_t length) {
      reply.body.append(data, length);
      return !absl::StartsWith(reply.body, "event:") || !absl::StrContains(reply.body, "\n\n");
    });
    if (res) {
      reply.status = res->status;
    } else if (absl::StartsWith(reply.body, "event:")) {
      reply.status = 200;  // The stream, ended by us after its first event.
    }
    return reply;
  }

  // Everything a caller could change: the sweep (tags, state) and its trials.
  std::string Snapshot() {
    absl::StatusOr<v1::Sweep> sweep = store_.GetSweep("s1");
    absl::StatusOr<std::vector<v1::Trial>> trials = store_.ListTrials("s1");
    if (!sweep.ok() || !trials.ok()) return "unreadable";
    std::string out = sweep->SerializeAsString();
    for (const v1::Trial& t : *trials) out += t.SerializeAsString();
    return out;
  }

  const testing::TempDir tmp_{"http_access"};  // The tokens file; removed with the fixture.
  std::unique_ptr<DashboardServer> server_;
};

TEST_F(HttpAccess, TheTableCoversEveryEndpointAndOnlyThePageIsOpen) {
  std::set<std::string> open;
  int count = 0;
  const Asset* assets = Assets(&count);
  for (int i = 0; i < count; ++i) open.insert("GET " + std::string(assets[i].path));
  std::set<std::string> tabled;
  for (const Endpoint& e : Table()) tabled.insert(e.route);
  std::set<std::string> served;
  for (const std::string& route : server_->endpoints()) {
    if (!open.count(route)) served.insert(route);
  }
  EXPECT_EQ(served, tabled);
  ASSERT_GE(open.size(), 2u);  // "/" and the bundle.
  for (int i = 0; i < count; ++i) {
    Reply page = Call({"GET", std::string(assets[i].path), Needs::kView}, "");
    EXPECT_EQ(page.status, 200) << assets[i].path;
    EXPECT_FALSE(absl::StrContains(page.body, "alice")) << assets[i].path;
  }
}

TEST_F(HttpAccess, EveryRefusedCallHasItsStatusIsLoggedWithoutTheTokenAndChangesNothing) {
  std::vector<std::string> log;
  SetLogSinkForTest([&log](const std::string& line) { log.push_back(line); });
  const std::string before = Snapshot();
  int refused = 0;
  for (const CallerKind& caller : Callers()) {
    for (const Endpoint& e : Table()) {
      if (caller.allowed.count(e.needs)) continue;
      const Reply reply = Call(e, caller.token);
      EXPECT_EQ(reply.status, caller.refused_with) << e.route << " by " << caller.label;
      EXPECT_TRUE(absl::StrContains(reply.body, "\"error\"")) << e.route << ": " << reply.body;
      EXPECT_EQ(Snapshot(), before) << e.route << " by " << caller.label << " changed something";
      ++refused;
    }
  }
  SetLogSinkForTest(nullptr);
  int logged = 0;
  for (const std::string& line : log) {
    if (!absl::StrContains(line, "call_refused")) continue;
    ++logged;
    EXPECT_TRUE(absl::StrContains(line, "method=Dashboard")) << line;
    for (const CallerKind& c : Callers()) {
      if (!c.token.empty()) {
        EXPECT_FALSE(absl::StrContains(line, c.token)) << line;
      }
    }
  }
  EXPECT_EQ(logged, refused);
  EXPECT_EQ(refused, 9 + 9 + 4 + 9 + 4);  // Callers x endpoints, less the allowed ones.
}

TEST_F(HttpAccess, AllowedCallersPassTheCheckOnEveryEndpoint) {
  for (const CallerKind& caller : Callers()) {
    for (const Endpoint& e : Table()) {
      if (!caller.allowed.count(e.needs)) continue;
      const Reply reply = Call(e, caller.token);
      EXPECT_NE(reply.status, 401) << e.route << " by " << caller.label << ": " << reply.body;
      EXPECT_NE(reply.status, 403) << e.route << " by " << caller.label << ": " << reply.body;
      EXPECT_NE(reply.status, 0) << e.route << " by " << caller.label << ": no reply";
    }
  }
}

}  // namespace
}  // namespace augur::dashboard
