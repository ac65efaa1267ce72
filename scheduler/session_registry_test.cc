// SessionRegistry at its boundary: tokens, sessions replacing each other, orders to workers
// that are connected or away, and shutting down.
#include "scheduler/session_registry.h"

#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

v1::SchedulerMessage Accepted() {
  v1::SchedulerMessage m;
  m.mutable_accepted()->set_server_unix_ms(1);
  return m;
}

// Opens the worker's session and takes its first message, which must be the SessionAccepted.
std::shared_ptr<WorkerSession> OpenAccepted(SessionRegistry& registry, const std::string& worker) {
  auto session = registry.Open(worker, 2, Accepted());
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return nullptr;
  v1::SchedulerMessage m;
  EXPECT_TRUE((*session)->TryNext(&m));  // Queued before anything else could be.
  EXPECT_TRUE(m.has_accepted());
  return *session;
}

TEST(SessionRegistry, TokensAreRandomPerWorkerAndOnlyTheLatestCounts) {
  SeededRandom random(1);
  SessionRegistry registry(&random);
  const std::string a = registry.IssueToken("w1");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_TRUE(registry.CheckToken("w1", a).ok());
  EXPECT_EQ(registry.CheckToken("w2", a).code(), absl::StatusCode::kUnauthenticated);
  const std::string b = registry.IssueToken("w1");  // Registered again.
  EXPECT_NE(a, b);
  EXPECT_EQ(registry.CheckToken("w1", a).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(registry.CheckToken("w1", b).ok());
  // The same seed gives the same tokens: tests can rely on them, production seeds from the OS.
  SeededRandom again(1);
  EXPECT_EQ(SessionRegistry(&again).IssueToken("w1"), a);
}

TEST(SessionRegistry, ANewSessionReplacesAndClosesTheOldOne) {
  SeededRandom random(1);
  SessionRegistry registry(&random);
  auto first = OpenAccepted(registry, "w1");
  auto second = OpenAccepted(registry, "w1");
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->closed());
  EXPECT_NE(first->id(), second->id());
  EXPECT_EQ(registry.Current().size(), 1u);
  EXPECT_FALSE(registry.Close(first));  // No longer current: nothing changes.
  EXPECT_TRUE(registry.IsConnected("w1"));
  EXPECT_TRUE(registry.Close(second));
  EXPECT_FALSE(registry.IsConnected("w1"));
  EXPECT_TRUE(registry.Current().empty());
}

TEST(SessionRegistry, OrdersGoToConnectedWorkersNumberedAndStamped) {
  SeededRandom random(1);
  SessionRegistry registry(&random);
  auto session = OpenAccepted(registry, "w1");
  ASSERT_TRUE(session);
  const TrialOrderFor orders[] = {
      {"w1", "s/t1", 7, v1::TrialOrder::ACTION_STOP, "rank 3 of 3"},
      {"away", "s/t2", 9, v1::TrialOrder::ACTION_STOP, "rank 2 of 3"},
      {"w1", "s/t3", 4, v1::TrialOrder::ACTION_PAUSE, "paused by user"},
  };
  EXPECT_EQ(registry.SendOrders(orders, 1234), (std::vector<bool>{true, false, true}));
  v1::SchedulerMessage m;
  ASSERT_TRUE(session->TryNext(&m));
  const v1::TrialOrder first = m.order();
  EXPECT_EQ(first.trial_id(), "s/t1");
  EXPECT_EQ(first.fencing_token(), 7);
  EXPECT_EQ(first.action(), v1::TrialOrder::ACTION_STOP);
  EXPECT_EQ(first.reason(), "rank 3 of 3");
  EXPECT_EQ(first.issued_unix_ms(), 1234);
  ASSERT_TRUE(session->TryNext(&m));
  EXPECT_EQ(m.order().action(), v1::TrialOrder::ACTION_PAUSE);
  EXPECT_GT(m.order().order_id(), first.order_id());
  EXPECT_FALSE(session->TryNext(&m));
}

TEST(SessionRegistry, EndedTrialsAreAnnouncedToEveryConnectedWorker) {
  SeededRandom random(1);
  SessionRegistry registry(&random);
  auto w1 = OpenAccepted(registry, "w1");
  auto w2 = OpenAccepted(registry, "w2");
  ASSERT_TRUE(w1 && w2);
  registry.AnnounceEnded({});  // Nothing to say: nothing sent.
  v1::SchedulerMessage m;
  EXPECT_FALSE(w1->TryNext(&m));
  const std::vector<std::string> ended = {"s/t001", "s/t004"};
  registry.AnnounceEnded(ended);
  for (const auto& session : {w1, w2}) {
    ASSERT_TRUE(session->TryNext(&m));
    ASSERT_TRUE(m.has_trials_ended());
    EXPECT_EQ(std::vector<std::string>(m.trials_ended().trial_ids().begin(),
                                       m.trials_ended().trial_ids().end()),
              ended);
  }
}

TEST(SessionRegistry, AfterCloseAllNothingOpensAndTokensAreRefused) {
  SeededRandom random(1);
  SessionRegistry registry(&random);
  const std::string token = registry.IssueToken("w1");
  auto session = registry.Open("w1", 1, Accepted());
  ASSERT_TRUE(session.ok());
  registry.CloseAll();
  EXPECT_TRUE((*session)->closed());
  EXPECT_EQ(registry.CheckToken("w1", token).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(registry.Open("w1", 1, Accepted()).status().code(), absl::StatusCode::kUnavailable);
}

TEST(SessionRegistry, SessionsBeyondTheCapAreRefusedButAReconnectReplacesItsOwn) {
  SeededRandom random(1);
  SessionRegistry registry(&random, {/*max_sessions=*/2, /*max_queued_messages=*/10});
  ASSERT_NE(OpenAccepted(registry, "w1"), nullptr);
  ASSERT_NE(OpenAccepted(registry, "w2"), nullptr);
  auto third = registry.Open("w3", 1, Accepted());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(third.status().message().find("at most 2 worker sessions"), std::string::npos);
  EXPECT_NE(OpenAccepted(registry, "w1"), nullptr);  // Its own session is replaced.
}

TEST(SessionRegistry, ASessionWhoseWorkerNeverReadsIsClosedNotGrownForEver) {
  SeededRandom random(1);
  SessionRegistry registry(&random, {/*max_sessions=*/4, /*max_queued_messages=*/10});
  auto session = OpenAccepted(registry, "w1");
  ASSERT_NE(session, nullptr);
  for (int i = 0; i < 10; ++i) session->Send(Accepted());
  EXPECT_FALSE(session->closed());
  session->Send(Accepted());  // The 11th while 10 wait.
  EXPECT_TRUE(session->closed());
  v1::SchedulerMessage m;
  EXPECT_FALSE(session->TryNext(&m));  // Its queue was freed.
}

}  // namespace
}  // namespace augur
