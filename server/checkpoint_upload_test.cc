// UploadCheckpoint over real gRPC: an upload is published only when its final chunk arrived with
// the right total size. A stream cut off mid-upload (the worker killed, the call cancelled), a
// clean half-close before the final chunk, a final chunk whose size is wrong and a chunk after
// the final one all leave the job's last good checkpoint in place, byte for byte, and no
// temporary blob behind.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/test_server.h"

namespace bitsearch::server::testing {
namespace {

namespace fs = std::filesystem;
using bitsearch::v1::CheckpointChunk;
using bitsearch::v1::LeaseRef;

constexpr size_t kChunk = 1 << 20;

// `size` bytes of every value, different for each `seed`.
std::string Bytes(size_t size, int seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i * 7 + seed);
  return out;
}

class CheckpointUploadTest : public ::testing::Test {
 protected:
  CheckpointUploadTest() {
    SubmitOk(*jobs_);
    bitsearch::v1::LeaseRequest req;
    req.set_worker_id("w1");
    bitsearch::v1::LeaseResponse resp;
    grpc::Status st = workers_->Lease(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok() && resp.leased()) << st.error_message();
    lease_ = resp.lease();
  }

  // A stream that has written `bytes` in chunks of kChunk, the lease in the first; the last
  // chunk is marked final with `total_bytes` when `final` (else the stream stays open).
  struct Upload {
    std::unique_ptr<grpc::ClientContext> ctx = Ctx();
    bitsearch::v1::UploadCheckpointResponse response;
    std::unique_ptr<grpc::ClientWriter<CheckpointChunk>> writer;
  };
  std::unique_ptr<Upload> Send(const std::string& bytes, bool final, int64_t total_bytes) {
    auto up = std::make_unique<Upload>();
    up->writer = workers_->UploadCheckpoint(up->ctx.get(), &up->response);
    for (size_t off = 0; off < bytes.size(); off += kChunk) {
      CheckpointChunk c;
      if (off == 0) *c.mutable_lease() = lease_;
      c.set_data(bytes.substr(off, kChunk));
      if (final && off + kChunk >= bytes.size()) {
        c.set_last(true);
        c.set_total_bytes(total_bytes);
      }
      if (!up->writer->Write(c)) break;
    }
    return up;
  }
  grpc::Status Finish(Upload& up) {
    up.writer->WritesDone();
    return up.writer->Finish();
  }
  grpc::Status UploadWhole(const std::string& bytes) {
    auto up = Send(bytes, /*final=*/true, static_cast<int64_t>(bytes.size()));
    grpc::Status st = Finish(*up);
    if (st.ok()) {
      EXPECT_EQ(up->response.size_bytes(), static_cast<int64_t>(bytes.size()));
    }
    return st;
  }

  grpc::Status Download(std::string* bytes) {
    bitsearch::v1::DownloadCheckpointRequest req;
    *req.mutable_lease() = lease_;
    auto ctx = Ctx();
    auto reader = workers_->DownloadCheckpoint(ctx.get(), req);
    CheckpointChunk c;
    bytes->clear();
    while (reader->Read(&c)) *bytes += c.data();
    return reader->Finish();
  }
  // The stored checkpoint, byte for byte (fails the test when there is none).
  std::string Stored() {
    std::string bytes;
    grpc::Status st = Download(&bytes);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return bytes;
  }

  // Sizes of the files in the checkpoint folder: published blobs and temporary uploads.
  std::vector<uintmax_t> CheckpointFiles(bool temporary) const {
    std::vector<uintmax_t> sizes;
    for (const auto& e : fs::directory_iterator(ts_.dir() + "/data/checkpoints")) {
      if (absl::StrContains(e.path().filename().string(), ".tmp.") == temporary) {
        std::error_code ec;
        uintmax_t size = fs::file_size(e.path(), ec);
        if (!ec) sizes.push_back(size);
      }
    }
    return sizes;
  }
  // Waits (up to 10 s) until `done`; the server's reactor runs on its own threads.
  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  TestServer ts_{/*auth=*/false, /*lease_seconds=*/30, /*max_attempts=*/2};
  std::unique_ptr<bitsearch::v1::JobService::Stub> jobs_ = ts_.Jobs();
  std::unique_ptr<bitsearch::v1::WorkerService::Stub> workers_ = ts_.Workers();
  LeaseRef lease_;
};

TEST_F(CheckpointUploadTest, UploadCutOffMidStreamKeepsTheLastGoodCheckpoint) {
  const std::string good = Bytes(5 * kChunk / 2, 1);  // 2.5 MiB: 3 chunks
  ASSERT_TRUE(UploadWhole(good).ok());
  ts_.clock().AdvanceMs(1'000);  // the next upload's blob gets another name

  // Half of a 4 MiB checkpoint, no final chunk; the server holds it in a temporary blob when the
  // stream is cut off, as when its worker is killed mid-upload.
  const std::string next = Bytes(4 * kChunk, 2);
  auto up = Send(next.substr(0, 2 * kChunk), /*final=*/false, 0);
  ASSERT_TRUE(WaitFor([&] {
    auto tmp = CheckpointFiles(/*temporary=*/true);
    return tmp.size() == 1 && tmp[0] == 2 * kChunk;
  })) << "the server never received the first half";
  up->ctx->TryCancel();
  EXPECT_FALSE(up->writer->Finish().ok());

  // The server drops the temporary blob when it ends the call: after that nothing can publish.
  ASSERT_TRUE(WaitFor([&] { return CheckpointFiles(/*temporary=*/true).empty(); }))
      << "the cut-off upload's temporary blob was not removed";
  EXPECT_EQ(CheckpointFiles(/*temporary=*/false), std::vector<uintmax_t>{good.size()});
  EXPECT_TRUE(Stored() == good) << "the stored checkpoint is not the first upload";

  // The service goes on: a whole upload replaces it.
  ASSERT_TRUE(UploadWhole(next).ok());
  EXPECT_TRUE(Stored() == next);
  EXPECT_EQ(CheckpointFiles(/*temporary=*/false), std::vector<uintmax_t>{next.size()});
}

TEST_F(CheckpointUploadTest, HalfCloseWithoutTheFinalChunkIsRefused) {
  // What a stream that ends early looks like to the server when it is not told why: a clean
  // end of the reads. Publishing then is what let a killed worker replace a good checkpoint.
  const std::string next = Bytes(4 * kChunk, 2);
  auto first = Send(next.substr(0, 2 * kChunk), /*final=*/false, 0);
  grpc::Status st = Finish(*first);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DATA_LOSS) << st.error_message();
  std::string none;
  EXPECT_EQ(Download(&none).error_code(), grpc::StatusCode::NOT_FOUND);  // nothing was published

  const std::string good = Bytes(5 * kChunk / 2, 1);
  ASSERT_TRUE(UploadWhole(good).ok());
  ts_.clock().AdvanceMs(1'000);
  auto second = Send(next.substr(0, 2 * kChunk), /*final=*/false, 0);
  st = Finish(*second);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DATA_LOSS) << st.error_message();
  EXPECT_EQ(st.error_message(),
            absl::StrCat("checkpoint upload of job ", lease_.job_id(), " ended after ", 2 * kChunk,
                         " bytes without its final chunk; not published"));
  EXPECT_TRUE(Stored() == good);
  EXPECT_TRUE(WaitFor([&] { return CheckpointFiles(/*temporary=*/true).empty(); }));
  EXPECT_EQ(CheckpointFiles(/*temporary=*/false), std::vector<uintmax_t>{good.size()});
}

TEST_F(CheckpointUploadTest, FinalChunkWithTheWrongSizeIsRefused) {
  const std::string good = Bytes(5 * kChunk / 2, 1);
  ASSERT_TRUE(UploadWhole(good).ok());
  const std::string next = Bytes(3 * kChunk, 2);
  for (int64_t claimed : {static_cast<int64_t>(next.size()) + 1,
                          static_cast<int64_t>(next.size()) - 1, int64_t{0}}) {
    ts_.clock().AdvanceMs(1'000);
    auto up = Send(next, /*final=*/true, claimed);
    grpc::Status st = Finish(*up);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::DATA_LOSS) << claimed;
    EXPECT_EQ(st.error_message(),
              absl::StrCat("checkpoint upload of job ", lease_.job_id(), " carried ", next.size(),
                           " bytes but its final chunk says ", claimed, "; not published"));
    EXPECT_TRUE(Stored() == good) << claimed;
  }
  EXPECT_TRUE(WaitFor([&] { return CheckpointFiles(/*temporary=*/true).empty(); }));
  EXPECT_EQ(CheckpointFiles(/*temporary=*/false), std::vector<uintmax_t>{good.size()});
}

TEST_F(CheckpointUploadTest, ChunkAfterTheFinalChunkIsRefused) {
  const std::string good = Bytes(kChunk / 2, 1);
  ASSERT_TRUE(UploadWhole(good).ok());
  ts_.clock().AdvanceMs(1'000);
  auto up = Send("abc", /*final=*/true, 3);
  CheckpointChunk extra;
  extra.set_data("def");
  up->writer->Write(extra);  // may fail once the server ended the call; Finish says why
  grpc::Status st = Finish(*up);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_TRUE(absl::StrContains(st.error_message(), "a chunk after its final chunk"))
      << st.error_message();
  EXPECT_TRUE(Stored() == good);
}

}  // namespace
}  // namespace bitsearch::server::testing
