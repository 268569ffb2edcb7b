// DatasetService over real gRPC with authentication on: clients upload and list, workers fetch
// manifests and chunks, and neither token works for the other role's methods; a chunk whose bytes
// do not match its digest is refused on the wire.
#include "server/dataset_service.h"

#include <gtest/gtest.h>

#include "base/sha256.h"
#include "bitsearch/v1/datasets.grpc.pb.h"
#include "server/test_server.h"

namespace bitsearch::server {
namespace {

namespace v1 = ::bitsearch::v1;
using testing::CommitOneChunkDataset;
using testing::Ctx;
using testing::kClientToken;
using testing::kWorkerToken;
using testing::TestServer;
using testing::UploadChunk;

TEST(DatasetServiceTest, RolesAreSeparateAndTamperedChunksRefused) {
  TestServer ts(/*auth=*/true);
  auto stub = v1::DatasetService::NewStub(ts.channel());
  const std::string data = "pixels";
  const std::string digest = Sha256Hex(data);

  v1::UploadChunksResponse up;
  ASSERT_TRUE(UploadChunk(*stub, kClientToken, digest, data, &up).ok());
  EXPECT_EQ(up.stored(), 1);
  // The same bytes under another digest: refused, nothing stored under that digest.
  v1::UploadChunksResponse bad;
  grpc::Status tampered = UploadChunk(*stub, kClientToken, Sha256Hex("other"), data, &bad);
  EXPECT_EQ(tampered.error_code(), grpc::StatusCode::DATA_LOSS) << tampered.error_message();
  v1::FindMissingChunksRequest find;
  find.add_chunks(digest);
  find.add_chunks(Sha256Hex("other"));
  v1::FindMissingChunksResponse missing;
  ASSERT_TRUE(stub->FindMissingChunks(Ctx(kClientToken).get(), find, &missing).ok());
  ASSERT_EQ(missing.missing_size(), 1);
  EXPECT_EQ(missing.missing(0), Sha256Hex("other"));

  v1::CommitDatasetResponse committed;
  ASSERT_TRUE(CommitOneChunkDataset(*stub, kClientToken, "tiny", "tiny.bin", data, &committed).ok());

  // A worker token cannot upload or list; a client token cannot download.
  v1::UploadChunksResponse w;
  EXPECT_EQ(UploadChunk(*stub, kWorkerToken, digest, data, &w).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListDatasetsResponse list;
  EXPECT_EQ(stub->ListDatasets(Ctx(kWorkerToken).get(), {}, &list).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub->ListDatasets(Ctx(kClientToken).get(), {}, &list).ok());
  ASSERT_EQ(list.datasets_size(), 1);
  v1::GetDatasetManifestRequest get;
  get.set_digest(committed.dataset().digest());
  v1::GetDatasetManifestResponse manifest;
  EXPECT_EQ(stub->GetDatasetManifest(Ctx(kClientToken).get(), get, &manifest).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::DownloadChunksRequest down;
  down.add_chunks(digest);
  {
    auto ctx = Ctx(kClientToken);
    auto reader = stub->DownloadChunks(ctx.get(), down);
    v1::DatasetChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  ASSERT_TRUE(stub->GetDatasetManifest(Ctx(kWorkerToken).get(), get, &manifest).ok());
  EXPECT_EQ(manifest.manifest().files(0).path(), "tiny.bin");
  auto ctx = Ctx(kWorkerToken);
  auto reader = stub->DownloadChunks(ctx.get(), down);
  v1::DatasetChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  EXPECT_EQ(chunk.data(), data);
  EXPECT_FALSE(reader->Read(&chunk));
  EXPECT_TRUE(reader->Finish().ok());
}

}  // namespace
}  // namespace bitsearch::server
