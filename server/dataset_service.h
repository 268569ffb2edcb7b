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

class DatasetServiceImpl final : public bitsearch::v1::DatasetService::CallbackService {
 public:
  explicit DatasetServiceImpl(const ServiceContext& context) : sc_(context) {}

  grpc::ServerUnaryReactor* FindMissingChunks(grpc::CallbackServerContext* ctx,
                                              const bitsearch::v1::FindMissingChunksRequest* request,
                                              bitsearch::v1::FindMissingChunksResponse* response) override;
  grpc::ServerReadReactor<bitsearch::v1::DatasetChunk>* UploadChunks(
      grpc::CallbackServerContext* ctx, bitsearch::v1::UploadChunksResponse* response) override;
  grpc::ServerUnaryReactor* CommitDataset(grpc::CallbackServerContext* ctx,
                                          const bitsearch::v1::CommitDatasetRequest* request,
                                          bitsearch::v1::CommitDatasetResponse* response) override;
  grpc::ServerUnaryReactor* ListDatasets(grpc::CallbackServerContext* ctx,
                                         const bitsearch::v1::ListDatasetsRequest* request,
                                         bitsearch::v1::ListDatasetsResponse* response) override;
  grpc::ServerUnaryReactor* GetDatasetManifest(grpc::CallbackServerContext* ctx,
                                               const bitsearch::v1::GetDatasetManifestRequest* request,
                                               bitsearch::v1::GetDatasetManifestResponse* response) override;
  grpc::ServerWriteReactor<bitsearch::v1::DatasetChunk>* DownloadChunks(
      grpc::CallbackServerContext* ctx, const bitsearch::v1::DownloadChunksRequest* request) override;

 private:
  const ServiceContext& sc_;
};

// The manifest message and the domain type (search/dataset_manifest.h), both ways.
void ManifestToProto(const DatasetManifest& m, bitsearch::v1::DatasetManifest* out);
DatasetManifest ManifestFromProto(const bitsearch::v1::DatasetManifest& m);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_DATASET_SERVICE_H_
