// The DatasetManager core without gRPC: chunks verified before they are stored, commits that
// need every chunk and respect the size limit, an upload cut off half-way that resumes, names
// resolved to digests for jobs, and the job submission rules (refs pinned, paths that could leave
// the workers' --data-root refused), and the cleaning of uploads that were never committed.
#include "server/dataset_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "base/sha256.h"
#include "base/test_temp_dir.h"
#include "server/job_manager.h"
#include "server/sqlite_job_store.h"
#include "server/test_stores.h"

namespace bitsearch::server {
namespace {

namespace fs = std::filesystem;

class DatasetManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status opened = OpenTestStores(dir_.path(), &store_, &blobs_);
    ASSERT_TRUE(opened.ok()) << opened;
    DatasetLimits limits;
    limits.max_dataset_bytes = 3 * kDatasetChunkBytes;
    manager_ = std::make_unique<DatasetManager>(store_.get(), blobs_.get(), &clock_, limits);
  }
  void TearDown() override {
    manager_.reset();
    (void)store_->Close();  // before dir_ goes
  }

  // A folder of two files: "a.bin" (1.5 chunks) and "sub/b.bin" (small), and its manifest.
  DatasetManifest WriteFolder(std::vector<LocalChunk>* chunks) {
    fs::create_directories(dir_.Path("src/sub"));
    std::string a(kDatasetChunkBytes + kDatasetChunkBytes / 2, 'a');
    a[7] = 'x';
    std::ofstream(dir_.Path("src/a.bin"), std::ios::binary) << a;
    std::ofstream(dir_.Path("src/sub/b.bin"), std::ios::binary) << "hello";
    std::ofstream(dir_.Path("src/.hidden"), std::ios::binary) << "skipped";
    auto m = BuildManifest(dir_.Path("src"), chunks);
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }

  std::string ChunkBytes(const LocalChunk& c) {
    std::ifstream in(c.file, std::ios::binary);
    std::string data(c.size, '\0');
    in.seekg(c.offset);
    in.read(data.data(), c.size);
    return data;
  }

  TempDir dir_{"bitsearch-datasets"};
  FakeClock clock_;
  std::unique_ptr<SqliteJobStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<DatasetManager> manager_;
};

TEST_F(DatasetManagerTest, UploadResumesAndCommitsWhenEveryChunkIsThere) {
  std::vector<LocalChunk> chunks;
  DatasetManifest m = WriteFolder(&chunks);
  ASSERT_EQ(m.files.size(), 2u);  // the hidden file is not part of it
  EXPECT_EQ(m.files[1].path, "sub/b.bin");
  ASSERT_EQ(chunks.size(), 3u);
  std::vector<std::string> digests;
  for (const LocalChunk& c : chunks) digests.push_back(c.sha256);
  EXPECT_EQ(manager_->FindMissingChunks(digests)->size(), 3u);

  // The first chunk arrives, then the connection drops: committing names what is missing.
  bool already = true;
  ASSERT_TRUE(manager_->PutChunk(chunks[0].sha256, ChunkBytes(chunks[0]), &already).ok());
  EXPECT_FALSE(already);
  auto early = manager_->Commit("fmnist", m);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(early.status().message(), "has not been uploaded")) << early.status();

  // The resumed upload is told to send only the rest.
  auto missing = manager_->FindMissingChunks(digests);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, (std::vector<std::string>{chunks[1].sha256, chunks[2].sha256}));
  for (size_t i = 1; i < chunks.size(); ++i) {
    ASSERT_TRUE(manager_->PutChunk(chunks[i].sha256, ChunkBytes(chunks[i]), &already).ok());
  }
  ASSERT_TRUE(manager_->PutChunk(chunks[0].sha256, ChunkBytes(chunks[0]), &already).ok());
  EXPECT_TRUE(already);
  auto d = manager_->Commit("fmnist", m);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->digest, ManifestDigest(m));
  EXPECT_EQ(d->files, 2);
  EXPECT_EQ(ResolveDatasetRef(*store_, "fmnist", "").value(), d->digest);
  auto back = manager_->GetByDigest(d->digest);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ManifestDigest(back->second), d->digest);
  ASSERT_EQ(manager_->List()->size(), 1u);
  auto f = manager_->OpenChunk(chunks[2].sha256);
  ASSERT_TRUE(f.ok());
  char buf[16];
  EXPECT_EQ(std::fread(buf, 1, sizeof(buf), *f), 5u);
  std::fclose(*f);
}

TEST_F(DatasetManagerTest, TamperedChunksAndBadManifestsAreRefused) {
  std::vector<LocalChunk> chunks;
  DatasetManifest m = WriteFolder(&chunks);
  std::string data = ChunkBytes(chunks[2]);
  data[0] ^= 1;
  bool already = false;
  absl::Status st = manager_->PutChunk(chunks[2].sha256, data, &already);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(st.message(), "tampered")) << st;
  EXPECT_EQ(manager_->FindMissingChunks({chunks[2].sha256})->size(), 1u);  // nothing stored
  EXPECT_FALSE(manager_->FindMissingChunks({"not-a-digest"}).ok());

  DatasetManifest climbing = m;
  climbing.files[1].path = "../escape.bin";
  EXPECT_TRUE(absl::StrContains(manager_->Commit("x", climbing).status().message(), "\"..\""));
  EXPECT_TRUE(absl::StrContains(manager_->Commit("../bad", m).status().message(), "data set name"));
  // Over --max-dataset-bytes (three chunks here).
  DatasetManifest big = m;
  big.files[0].size = 3 * kDatasetChunkBytes + 1;
  big.files[0].chunks.assign(4, chunks[0].sha256);
  auto over = manager_->Commit("big", big);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(over.status().message(), "--max-dataset-bytes")) << over.status();
  EXPECT_EQ(ResolveDatasetRef(*store_, "nothing", "").status().code(), absl::StatusCode::kNotFound);
}

// Uploads never committed: their chunks go once idle past the timeout (touching a chunk, as a
// resuming upload does, restarts its wait), half-written files go at a server's start, and nothing
// a committed data set lists is ever removed, however old.
TEST_F(DatasetManagerTest, AbandonedUploadsAreRemovedAfterTheIdleTimeoutCommittedDataSetsNever) {
  DatasetLimits limits = manager_->limits();
  limits.upload_idle_ms = 3600'000;
  manager_ = std::make_unique<DatasetManager>(store_.get(), blobs_.get(), &clock_, limits);
  std::vector<LocalChunk> chunks;
  DatasetManifest m = WriteFolder(&chunks);
  bool already;
  for (const LocalChunk& c : chunks) ASSERT_TRUE(manager_->PutChunk(c.sha256, ChunkBytes(c), &already).ok());
  ASSERT_TRUE(manager_->Commit("kept", m).ok());
  const std::string abandoned = "an upload nobody commits", resuming = "an upload that resumes";
  ASSERT_TRUE(manager_->PutChunk(Sha256Hex(abandoned), abandoned, &already).ok());
  const std::string temp = blobs_->PathOf("datasets/chunks/ab/" + std::string(64, 'a') + ".tmp.1.x1y2z3");
  fs::create_directories(fs::path(temp).parent_path());
  std::ofstream(temp) << "half a chunk";  // its time is the real one, far past the fake clock's
  clock_.AdvanceMs(1800'000);
  ASSERT_TRUE(manager_->PutChunk(Sha256Hex(resuming), resuming, &already).ok());
  // Asking whether a chunk is stored touches it, as a resuming upload's question does.
  auto stored = [&](const std::string& digest) { return manager_->FindMissingChunks({digest})->empty(); };

  clock_.AdvanceMs(1800'001);  // the abandoned chunk and the committed ones idle for over an hour
  auto pass = manager_->RemoveAbandonedUploads(/*at_start=*/false);
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->chunks, 1);
  EXPECT_EQ(pass->bytes, static_cast<int64_t>(abandoned.size()));
  EXPECT_EQ(pass->temp_files, 0);  // written "now" on the real clock: not idle
  EXPECT_TRUE(fs::exists(temp));
  EXPECT_FALSE(stored(Sha256Hex(abandoned)));
  EXPECT_TRUE(stored(Sha256Hex(resuming)));  // idle for half an hour; asked about now
  for (const LocalChunk& c : chunks) EXPECT_TRUE(stored(c.sha256)) << c.file;
  clock_.AdvanceMs(3000'000);
  EXPECT_EQ(manager_->RemoveAbandonedUploads(false)->chunks, 0);
  EXPECT_TRUE(stored(Sha256Hex(resuming)));
  clock_.AdvanceMs(3600'001);
  EXPECT_EQ(manager_->RemoveAbandonedUploads(false)->chunks, 1);
  EXPECT_FALSE(stored(Sha256Hex(resuming)));
  EXPECT_NE(DescribeAbandonedUploads(*pass, limits.upload_idle_ms).find("idle for over 3600 s"), std::string::npos);

  // A server starting: half-written files go whatever their age; the committed data set stays.
  auto start = manager_->RemoveAbandonedUploads(/*at_start=*/true);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->temp_files, 1);
  EXPECT_EQ(start->chunks, 0);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(manager_->FindMissingChunks({chunks[0].sha256, chunks[1].sha256, chunks[2].sha256})->empty());
  EXPECT_TRUE(manager_->Commit("kept-again", m).ok());

  // --upload-idle-timeout 0 keeps everything; a committed manifest that does not parse stops the
  // pass before it removes anything.
  ASSERT_TRUE(manager_->PutChunk(Sha256Hex(abandoned), abandoned, &already).ok());
  clock_.AdvanceMs(10 * 3600'000);
  limits.upload_idle_ms = 0;
  EXPECT_FALSE(DatasetManager(store_.get(), blobs_.get(), &clock_, limits).RemoveAbandonedUploads(false)->Any());
  DatasetRecord broken;
  broken.name = "broken";
  broken.digest = "sha256:" + std::string(64, 'b');
  broken.manifest_json = "{not json";
  ASSERT_TRUE(store_->PutDataset(broken).ok());
  EXPECT_EQ(manager_->RemoveAbandonedUploads(false).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(stored(Sha256Hex(abandoned)));
}

TEST_F(DatasetManagerTest, SubmissionPinsRefsAndRefusesOutsidePaths) {
  std::vector<LocalChunk> chunks;
  DatasetManifest m = WriteFolder(&chunks);
  bool already;
  for (const LocalChunk& c : chunks) ASSERT_TRUE(manager_->PutChunk(c.sha256, ChunkBytes(c), &already).ok());
  auto d = manager_->Commit("imgs", m);
  ASSERT_TRUE(d.ok());

  EventHub hub;
  auto registry = std::make_shared<prometheus::Registry>();
  ServerMetrics metrics(*registry);
  JobManager jobs(store_.get(), blobs_.get(), &hub, &metrics, &clock_, JobManagerOptions{});
  SubmitRequest req;
  req.spec_json = R"({"model":"lenet5","dataset":{"ref":"imgs","format":"image-folder"}})";
  auto job = jobs.Submit(Caller{}, req);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(absl::StrContains(job->job.spec_json, d->digest)) << job->job.spec_json;

  // A sweep's points are pinned the same way; a sweep naming a path outside is refused too.
  auto sweep = jobs.SubmitSweep(Caller{}, SubmitSweepRequest{
      R"({"model":"lenet5","dataset":{"ref":"imgs","format":"image-folder"},"sweep":{"search.mu":[0.1,1]}})", ""});
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  ASSERT_EQ(sweep->sweep.points.size(), 2u);
  for (const JobRecord& point : sweep->sweep.points) {
    EXPECT_TRUE(absl::StrContains(point.spec_json, d->digest)) << point.spec_json;
  }
  EXPECT_FALSE(jobs.SubmitSweep(Caller{}, SubmitSweepRequest{
      R"({"model":"lenet5","dataset":{"format":"idx","path":"/etc"},"sweep":{"search.mu":[0.1,1]}})", ""}).ok());

  req.spec_json = R"({"model":"lenet5","dataset":{"ref":"nope","format":"npz"}})";
  EXPECT_EQ(jobs.Submit(Caller{}, req).status().code(), absl::StatusCode::kNotFound);
  // Paths name files inside the workers' --data-root folders: relative, without "..".
  req.spec_json = R"({"model":"lenet5","dataset":{"format":"idx","path":"/etc/passwd"}})";
  auto outside = jobs.Submit(Caller{}, req);
  EXPECT_EQ(outside.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(outside.status().message(), "must be relative")) << outside.status();
  EXPECT_TRUE(absl::StrContains(outside.status().message(), "bitsearch datasets upload")) << outside.status();
  req.spec_json = R"({"model":"lenet5","dataset":{"format":"image-folder","path":"imgs/../../etc"}})";
  EXPECT_TRUE(absl::StrContains(jobs.Submit(Caller{}, req).status().message(), "may not contain '..'"));
  req.spec_json = R"({"model":"lenet5","dataset":{"format":"npy","train":{"x":"a/x.npy","y":"/etc/passwd"},
                      "test":{"x":"b/x.npy","y":"b/y.npy"}}})";
  EXPECT_TRUE(absl::StrContains(jobs.Submit(Caller{}, req).status().message(), "dataset.train.y")) << jobs.Submit(Caller{}, req).status();
  req.spec_json = R"({"model":"lenet5","dataset":{"format":"image-folder","path":"imgs"}})";
  EXPECT_TRUE(jobs.Submit(Caller{}, req).ok());
  // Nothing refused was queued: the two accepted jobs and the sweep's jobs alone.
  auto listing = jobs.ListJobs(Caller{}, std::nullopt, "", 0);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->items.size(), 2 + sweep->sweep.points.size() + sweep->sweep.pretrain_jobs.size());
}

}  // namespace
}  // namespace bitsearch::server
