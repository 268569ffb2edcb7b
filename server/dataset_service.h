// gRPC DatasetService (proto bitsearch/v1/datasets.proto): handlers convert messages and call
// the DatasetManager core. Clients upload and list; workers fetch manifests and chunks; the
// authenticator refuses either role the other's methods.
//
// Thread-safety: gRPC calls handlers concurrently; the manager is thread-safe.
#ifndef BITSEARCH_SERVER_DATASET_SERVICE_H_
#define BITSEARCH_SERVER_DATASET_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "bitsearch/v1/datasets.grpc.pb.h"
#include "search/dataset_manifest.h"
#include "server/rpc_context.h"

namespace bitsearch::server {

class DatasetServiceImpl final : public ServiceImpl<v1::DatasetService::CallbackService> {
 public:
  using ServiceImpl::ServiceImpl;
  using ChunkReader = grpc::ServerReadReactor<v1::DatasetChunk>;
  using ChunkWriter = grpc::ServerWriteReactor<v1::DatasetChunk>;

  Unary* FindMissingChunks(Ctx* ctx, const v1::FindMissingChunksRequest* req,
                           v1::FindMissingChunksResponse* resp) override;
  ChunkReader* UploadChunks(Ctx* ctx, v1::UploadChunksResponse* resp) override;
  Unary* CommitDataset(Ctx* ctx, const v1::CommitDatasetRequest* req,
                       v1::CommitDatasetResponse* resp) override;
  Unary* ListDatasets(Ctx* ctx, const v1::ListDatasetsRequest* req,
                      v1::ListDatasetsResponse* resp) override;
  Unary* GetDatasetManifest(Ctx* ctx, const v1::GetDatasetManifestRequest* req,
                            v1::GetDatasetManifestResponse* resp) override;
  ChunkWriter* DownloadChunks(Ctx* ctx, const v1::DownloadChunksRequest* req) override;
};

// The manifest message and the domain type (search/dataset_manifest.h), both ways.
void ManifestToProto(const DatasetManifest& m, v1::DatasetManifest* out);
DatasetManifest ManifestFromProto(const v1::DatasetManifest& m);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_DATASET_SERVICE_H_
