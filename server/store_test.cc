// SqliteJobStore: persistence, idempotency, pagination, leases, reaping, events, profiles.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/test_temp_dir.h"
#include "server/migrations.h"
#include "server/sqlite_job_store.h"
#include "server/wal_checkpointer.h"

namespace bitsearch::server {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void TearDown() override { store_.reset(); }  // closed before dir_ goes
  void Reopen() {
    store_.reset();
    auto store = SqliteJobStore::Open(dir_.Path("jobs.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  JobRecord Create(const std::string& id, const std::string& request_id = "",
                   const std::string& spec = "{}") {
    bool dedup = false;
    auto job = store_->CreateJob(NewJob{id, "name-" + id, spec, request_id, "", ""}, now_, &dedup);
    EXPECT_TRUE(job.ok()) << job.status();
    return *job;
  }
  LeaseRef LeaseOk(const std::string& worker) {
    auto job = store_->LeaseNext(worker, "token-" + worker, now_, 10'000);
    EXPECT_TRUE(job.ok() && job->has_value());
    return LeaseRef{worker, (*job)->id, (*job)->attempt, "token-" + worker};
  }

  TempDir dir_{"bitsearch-store"};
  std::unique_ptr<SqliteJobStore> store_;
  int64_t now_ = 1'000'000;
};

TEST_F(StoreTest, CreatedJobIsQueuedAndSurvivesReopen) {
  JobRecord job = Create("j1");
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.last_sequence, 1);
  Reopen();
  auto again = store_->GetJob("j1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name, "name-j1");
  EXPECT_EQ(again->created_ms, now_);
  EXPECT_EQ(store_->GetJob("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, SchemaVersionIsRecorded) {
  auto db = SqliteDb::Open(dir_.Path("jobs.db"));
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare("PRAGMA user_version");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->ColumnInt(0), LatestSchemaVersion());
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  store_.reset();
  {
    auto db = SqliteDb::Open(dir_.Path("jobs.db"));
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 999").ok());
  }
  auto store = SqliteJobStore::Open(dir_.Path("jobs.db"));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

// A database with overwritten pages, a zero-byte file and a file that is not SQLite are refused
// at start with the reason, instead of serving and failing later ("malformed") or starting empty.
TEST_F(StoreTest, CorruptEmptyOrForeignDatabaseIsRefusedAtOpen) {
  for (int i = 0; i < 400; ++i) Create("job-" + std::to_string(i), "", std::string(200, 'x'));
  ASSERT_TRUE(store_->Close().ok());
  store_.reset();
  const std::string db = dir_.Path("jobs.db");
  ASSERT_GT(std::filesystem::file_size(db), 16u * 4096);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(6 * 4096);
    std::string garbage(3 * 4096, '\xA5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto corrupt = SqliteJobStore::Open(db);
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kFailedPrecondition) << corrupt.status();
  EXPECT_NE(corrupt.status().message().find("corrupt"), std::string::npos) << corrupt.status();

  std::ofstream(db, std::ios::trunc).close();  // zero bytes
  auto empty = SqliteJobStore::Open(db);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(empty.status().message().find("empty (0-byte)"), std::string::npos) << empty.status();

  std::ofstream(db, std::ios::trunc) << std::string(8192, 'n');  // not a database at all
  auto foreign = SqliteJobStore::Open(db);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kFailedPrecondition) << foreign.status();
  EXPECT_NE(foreign.status().message().find(db), std::string::npos) << foreign.status();
}

TEST_F(StoreTest, BlobsOfFinishedJobsExpireAfterTheirRetention) {
  bool dedup = false;
  ASSERT_TRUE(store_->CreateJob(NewJob{"j1", "a", "{}", "", "models/j1.onnx", ""}, now_, &dedup).ok());
  Create("j2");
  Create("j3");
  LeaseRef l1 = LeaseOk("w1");  // j1
  ASSERT_TRUE(store_->SetCheckpoint(l1, "checkpoints/j1", 5, now_).ok());
  ASSERT_TRUE(store_->Fail(l1, "boom", false, now_ + 100).ok());
  LeaseRef l2 = LeaseOk("w2");  // j2: no blobs at all
  ASSERT_TRUE(store_->Complete(l2, "{}", now_ + 200).ok());
  // j3 is still queued: never listed, however old.
  EXPECT_TRUE(store_->ListJobsWithExpiredBlobs(now_ + 100, 10)->empty());  // finished at +100
  auto expired = store_->ListJobsWithExpiredBlobs(now_ + 101, 10);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].id, "j1");
  EXPECT_EQ((*expired)[0].model_blob, "models/j1.onnx");
  EXPECT_EQ((*expired)[0].checkpoint_blob, "checkpoints/j1");
  ASSERT_TRUE(store_->ClearJobBlobs("j1").ok());
  EXPECT_TRUE(store_->ListJobsWithExpiredBlobs(now_ + 1'000'000, 10)->empty());
  EXPECT_EQ(store_->GetJob("j1")->model_blob, "");
}

TEST_F(StoreTest, RequestIdDeduplicates) {
  JobRecord first = Create("j1", "req-1", R"({"a":1})");
  bool dedup = false;
  auto second = store_->CreateJob(NewJob{"j2", "x", R"({"a":1})", "req-1", "", ""}, now_, &dedup);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(dedup);
  EXPECT_EQ(second->id, "j1");
  auto different = store_->CreateJob(NewJob{"j3", "x", R"({"a":2})", "req-1", "", ""}, now_, &dedup);
  EXPECT_EQ(different.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetJob("j2").status().code(), absl::StatusCode::kNotFound);
  // Another owner reusing the id gets neither the job nor its id back.
  auto other = store_->CreateJob(NewJob{"j4", "x", R"({"a":1})", "req-1", "", "someone"}, now_,
                                 &dedup);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other.status().message().find("j1"), std::string::npos) << other.status();
}

TEST_F(StoreTest, ListPagesNewestFirstWithStateFilter) {
  for (int i = 0; i < 7; ++i) Create("j" + std::to_string(i));
  LeaseOk("w");  // j0 becomes RUNNING
  std::vector<std::string> seen;
  int64_t cursor = 0;
  do {
    auto page = store_->ListJobs(std::nullopt, cursor, 3, "");
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page->jobs.size(), 3u);
    for (auto& j : page->jobs) seen.push_back(j.id);
    cursor = page->next_cursor;
  } while (cursor != 0);
  EXPECT_EQ(seen, (std::vector<std::string>{"j6", "j5", "j4", "j3", "j2", "j1", "j0"}));
  auto running = store_->ListJobs(JobState::kRunning, 0, 10, "");
  ASSERT_EQ(running->jobs.size(), 1u);
  EXPECT_EQ(running->jobs[0].id, "j0");
  EXPECT_EQ(running->next_cursor, 0);
  auto exact = store_->ListJobs(JobState::kQueued, 0, 6, "");
  EXPECT_EQ(exact->jobs.size(), 6u);
  EXPECT_EQ(exact->next_cursor, 0);
}

TEST_F(StoreTest, LeaseHeartbeatCompleteWithOwnerAndAttemptCheck) {
  Create("j1");
  ASSERT_TRUE(store_->LeaseNext("w2", "token-w2", now_, 10'000)->has_value());  // j1 leased to w2
  auto job = store_->GetJob("j1");
  LeaseRef lease{"w2", "j1", job->attempt, "token-w2"};
  EXPECT_EQ(job->state, JobState::kRunning);
  EXPECT_EQ(job->attempt, 1);
  EXPECT_FALSE(store_->LeaseNext("w3", "token-w3", now_, 10'000)->has_value());  // queue empty

  auto hb = store_->Heartbeat(lease, now_ + 5'000, 10'000);
  ASSERT_TRUE(hb.ok());
  EXPECT_EQ(hb->lease_expires_ms, now_ + 15'000);
  EXPECT_FALSE(hb->cancel_requested);

  LeaseRef wrong_owner{"w3", "j1", 1, "token-w2"};
  LeaseRef wrong_attempt{"w2", "j1", 2, "token-w2"};
  // Another holder of a worker token who knows the worker id cannot use the lease.
  LeaseRef wrong_token{"w2", "j1", 1, "token-w3"};
  LeaseRef no_token{"w2", "j1", 1, ""};
  EXPECT_EQ(store_->Complete(wrong_owner, "{}", now_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Complete(wrong_attempt, "{}", now_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Complete(wrong_token, "{}", now_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->Complete(no_token, "{}", now_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->Heartbeat(wrong_token, now_, 10'000).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->GetResult("j1").status().code(), absl::StatusCode::kFailedPrecondition);

  auto done = store_->Complete(lease, R"({"ok":true})", now_ + 6'000);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, JobState::kSucceeded);
  EXPECT_TRUE(done->has_result);
  EXPECT_EQ(*store_->GetResult("j1"), R"({"ok":true})");
  // A second completion of the same lease is refused: the job is terminal.
  EXPECT_EQ(store_->Complete(lease, "{}", now_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, ReaperRequeuesThenFailsAfterMaxAttempts) {
  Create("j1");
  LeaseRef first = LeaseOk("w1");
  EXPECT_TRUE(store_->ReapExpiredLeases(now_ + 9'000, 2)->empty());  // not expired yet
  auto reaped = store_->ReapExpiredLeases(now_ + 10'001, 2);
  ASSERT_EQ(reaped->size(), 1u);
  EXPECT_EQ((*reaped)[0].state, JobState::kQueued);
  // The old owner's lease is gone.
  EXPECT_EQ(store_->Heartbeat(first, now_, 10'000).status().code(),
            absl::StatusCode::kFailedPrecondition);

  now_ += 20'000;
  LeaseRef second = LeaseOk("w2");
  EXPECT_EQ(second.attempt, 2);
  reaped = store_->ReapExpiredLeases(now_ + 10'001, 2);
  ASSERT_EQ(reaped->size(), 1u);
  EXPECT_EQ((*reaped)[0].state, JobState::kFailed);
  EXPECT_NE((*reaped)[0].error.find("attempt 2 of 2"), std::string::npos);
  EXPECT_NE((*reaped)[0].error.find("worker killed (probably out of memory)"), std::string::npos)
      << (*reaped)[0].error;
  EXPECT_FALSE(store_->LeaseNext("w3", "token-w3", now_, 10'000)->has_value());
}

TEST_F(StoreTest, RestartGraceExtendsRunningLeases) {
  Create("j1");
  LeaseRef lease = LeaseOk("w1");  // expires at now_ + 10 s
  now_ += 60'000;                  // the server was down for a minute
  ASSERT_TRUE(store_->GraceRunningLeases(now_, 10'000).ok());
  EXPECT_TRUE(store_->ReapExpiredLeases(now_ + 5'000, 3)->empty());
  EXPECT_TRUE(store_->Heartbeat(lease, now_ + 5'000, 10'000).ok());
  EXPECT_EQ(store_->GetJob("j1")->state, JobState::kRunning);
}

TEST_F(StoreTest, CheckpointSurvivesRequeue) {
  Create("j1");
  LeaseRef lease = LeaseOk("w1");
  EXPECT_EQ(*store_->SetCheckpoint(lease, "checkpoints/a", 10, now_), "");
  EXPECT_EQ(*store_->SetCheckpoint(lease, "checkpoints/b", 12, now_), "checkpoints/a");
  ASSERT_EQ(store_->ReapExpiredLeases(now_ + 20'000, 3)->size(), 1u);
  auto again = store_->LeaseNext("w2", "token-w2", now_ + 20'000, 10'000);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->checkpoint_blob, "checkpoints/b");
  EXPECT_EQ((*again)->checkpoint_size, 12);
  // The stale lease may not overwrite the new attempt's checkpoint.
  EXPECT_EQ(store_->SetCheckpoint(lease, "checkpoints/c", 1, now_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, CancelQueuedAndRunning) {
  Create("j1");
  Create("j2");
  LeaseRef lease = LeaseOk("w1");  // j1
  auto cancelled = store_->CancelJob("j2", now_);
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  EXPECT_EQ(store_->CancelJob("j2", now_).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->CancelJob("zz", now_).status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(store_->CancelJob("j1", now_).ok());
  auto hb = store_->Heartbeat(lease, now_, 10'000);
  ASSERT_TRUE(hb.ok());
  EXPECT_TRUE(hb->cancel_requested);
  EXPECT_EQ(store_->Complete(lease, "{}", now_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto ack = store_->Fail(lease, "stopped", /*cancelled=*/true, now_);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->state, JobState::kCancelled);
  // Cancelled jobs are never reaped back into the queue.
  EXPECT_TRUE(store_->ReapExpiredLeases(now_ + 1'000'000, 3)->empty());
}

TEST_F(StoreTest, EventsGetGaplessSequenceNumbers) {
  Create("j1");
  LeaseRef lease = LeaseOk("w1");
  std::vector<JobEvent> events(3);
  events[0].type = JobEvent::Type::kPhaseStart;
  events[0].phase = "search";
  events[1].type = JobEvent::Type::kProgress;
  events[1].progress = JobProgress{};
  events[1].progress->step = 5;
  events[2].type = JobEvent::Type::kLog;
  events[2].message = "hello";
  ASSERT_TRUE(store_->AppendWorkerEvents(lease, events, now_).ok());
  auto all = store_->ReadEvents("j1", 0, 100);
  ASSERT_EQ(all->size(), 5u);  // QUEUED, RUNNING, 3 reported
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].sequence, int64_t(i + 1));
  EXPECT_EQ((*all)[1].state, JobState::kRunning);
  EXPECT_EQ((*all)[3].progress->step, 5);
  EXPECT_EQ((*all)[4].message, "hello");
  EXPECT_EQ((*all)[4].attempt, 1);
  EXPECT_EQ(store_->ReadEvents("j1", 3, 100)->size(), 2u);
  EXPECT_EQ(store_->GetJob("j1")->phase, "search");
  std::vector<JobEvent> bad(1);
  bad[0].type = JobEvent::Type::kState;
  EXPECT_EQ(store_->AppendWorkerEvents(lease, bad, now_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, ProfilesRoundTrip) {
  ASSERT_TRUE(store_->PutProfile(Profile{"dev", "json", R"({"a":1})", 0, 0}, now_).ok());
  ASSERT_TRUE(store_->PutProfile(Profile{"dev", "csv", "latency\n1\n", 0, 0}, now_ + 1).ok());
  auto p = store_->GetProfile("dev");
  EXPECT_EQ(p->format, "csv");
  EXPECT_EQ(p->updated_ms, now_ + 1);
  auto list = store_->ListProfiles();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size_bytes, 10);
  EXPECT_EQ(store_->GetProfile("x").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, WorkersAndCounts) {
  Create("j1");
  Create("j2");
  LeaseOk("w1");
  ASSERT_TRUE(store_->LeaseNext("w2", "token-w2", now_ + 50, 10'000).ok());
  EXPECT_EQ(*store_->CountWorkersSeenSince(now_), 2);
  EXPECT_EQ(*store_->CountWorkersSeenSince(now_ + 10), 1);
  auto counts = store_->CountJobsByState();
  EXPECT_EQ((*counts)[JobState::kRunning], 2);
  EXPECT_EQ((*counts)[JobState::kQueued], 0);
}

TEST_F(StoreTest, ClosedStoreIsUnavailable) {
  ASSERT_TRUE(store_->Close().ok());
  EXPECT_EQ(store_->GetJob("j1").status().code(), absl::StatusCode::kUnavailable);
}

// The statement cache: one compilation per SQL text however often it runs, a second one only
// while the first is checked out, and bindings never leak from one use into the next.
TEST_F(StoreTest, SqliteStatementsAreCompiledOnceAndReset) {
  auto db = SqliteDb::Open(dir_.Path("cache.db"));
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (k INTEGER, v TEXT)").ok());
  const int base = (*db)->compiled_statements();  // Open's own pragmas
  for (int i = 0; i < 100; ++i) {
    auto ins = (*db)->Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, int64_t{i}).Bind(2, "x");
    ASSERT_TRUE(ins->Run().ok());
  }
  EXPECT_EQ((*db)->compiled_statements(), base + 1);
  {
    auto outer = (*db)->Prepare("SELECT COUNT(*) FROM t WHERE v = ?");
    auto inner = (*db)->Prepare("SELECT COUNT(*) FROM t WHERE v = ?");  // nested use
    ASSERT_TRUE(outer.ok() && inner.ok());
    outer->Bind(1, "x");
    ASSERT_TRUE(*outer->Step());
    EXPECT_EQ(outer->ColumnInt(0), 100);
    ASSERT_TRUE(*inner->Step());
    EXPECT_EQ(inner->ColumnInt(0), 0) << "an unbound parameter is NULL";
  }
  EXPECT_EQ((*db)->compiled_statements(), base + 3);
  auto again = (*db)->Prepare("SELECT COUNT(*) FROM t WHERE v = ?");
  ASSERT_TRUE(*again->Step());
  EXPECT_EQ(again->ColumnInt(0), 0) << "bindings of the previous use leaked";
  EXPECT_EQ((*db)->compiled_statements(), base + 3);
}

// WAL checkpoints happen in the background: after a burst of submissions the checkpointer copies
// the WAL into the database without any call paying for it, and Close leaves no WAL behind.
TEST_F(StoreTest, WalIsCheckpointedInTheBackgroundAndRemovedOnClose) {
  for (int i = 0; i < 300; ++i) Create("job-" + std::to_string(i));
  const std::string db = dir_.Path("jobs.db");
  auto checkpointer = WalCheckpointer::Start(db, 20);
  ASSERT_TRUE(checkpointer.ok());
  for (int i = 0; i < 200 && (*checkpointer)->runs() < 2; ++i) usleep(10'000);
  EXPECT_GE((*checkpointer)->runs(), 2);
  (*checkpointer)->Stop();
  auto probe = SqliteDb::Open(db);
  ASSERT_TRUE(probe.ok());
  int frames_left = -1;
  ASSERT_TRUE((*probe)->CheckpointPassive(&frames_left).ok());
  EXPECT_EQ(frames_left, 0);
  ASSERT_TRUE((*probe)->Close().ok());
  ASSERT_TRUE(store_->Close().ok());
  std::error_code ec;
  EXPECT_TRUE(!std::filesystem::exists(db + "-wal") ||
              std::filesystem::file_size(db + "-wal", ec) == 0);
  Reopen();
  auto job = store_->GetJob("job-299");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->last_sequence, 1);
  auto events = store_->ReadEvents("job-299", 0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].sequence, 1);
  EXPECT_EQ((*events)[0].message, "submitted");
}

}  // namespace
}  // namespace bitsearch::server
