#include "server/dataset_service.h"

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"

namespace bitsearch::server {
namespace {

constexpr char kUpload[] = "bitsearch.v1.DatasetService/UploadChunks";
constexpr char kDownload[] = "bitsearch.v1.DatasetService/DownloadChunks";

void DatasetToProto(const DatasetRecord& d, bitsearch::v1::Dataset* out) {
  out->set_name(d.name);
  out->set_digest(d.digest);
  out->set_size_bytes(d.size_bytes);
  out->set_files(static_cast<int32_t>(d.files));
  out->set_created_unix_ms(d.created_ms);
  out->set_single_file(d.single_file);
}

// Client stream of chunks: each is verified and stored as it arrives (PutChunk), so a stream cut
// off half-way keeps what it delivered and the next upload sends only the rest.
class UploadReactor final : public grpc::ServerReadReactor<bitsearch::v1::DatasetChunk> {
 public:
  UploadReactor(const ServiceContext& sc, grpc::CallbackServerContext* ctx, bitsearch::v1::UploadChunksResponse* response)
      : sc_(sc), timer_(sc, kUpload), response_(response) {
    absl::Status st = sc_.auth->Authenticate(ctx, {Role::kClient}, kUpload).status();
    if (!st.ok()) {
      Finish(timer_.Finish(st));
      return;
    }
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(timer_.Finish(absl::OkStatus()));
      return;
    }
    bool already = false;
    absl::Status st = sc_.datasets->PutChunk(chunk_.sha256(), chunk_.data(), &already);
    if (!st.ok()) {
      Finish(timer_.Finish(st));
      return;
    }
    if (already) {
      response_->set_already_present(response_->already_present() + 1);
    } else {
      response_->set_stored(response_->stored() + 1);
    }
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  const ServiceContext& sc_;
  const RpcTimer timer_;
  bitsearch::v1::UploadChunksResponse* response_;
  bitsearch::v1::DatasetChunk chunk_;
};

class DownloadReactor final : public grpc::ServerWriteReactor<bitsearch::v1::DatasetChunk> {
 public:
  DownloadReactor(const ServiceContext& sc, grpc::CallbackServerContext* ctx,
                  const bitsearch::v1::DownloadChunksRequest& request)
      : sc_(sc), timer_(sc, kDownload) {
    absl::Status st = sc_.auth->Authenticate(ctx, {Role::kWorker}, kDownload).status();
    if (st.ok() && request.chunks_size() > sc_.datasets->limits().max_digests_per_call) {
      st = absl::InvalidArgumentError(absl::StrCat(request.chunks_size(), " digests in one call; at most ",
                                                   sc_.datasets->limits().max_digests_per_call));
    }
    if (!st.ok()) {
      Finish(timer_.Finish(st));
      return;
    }
    chunks_.assign(request.chunks().begin(), request.chunks().end());
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(timer_.Finish(absl::CancelledError("download closed by the worker")));
      return;
    }
    Next();
  }

  void OnDone() override { delete this; }

 private:
  void Next() {
    if (next_ == chunks_.size()) {
      Finish(timer_.Finish(absl::OkStatus()));
      return;
    }
    const std::string& digest = chunks_[next_++];
    absl::StatusOr<FILE*> file = sc_.datasets->OpenChunk(digest);
    if (!file.ok()) {
      Finish(timer_.Finish(file.status()));
      return;
    }
    std::string data(static_cast<size_t>(kDatasetChunkBytes) + 1, '\0');
    size_t n = std::fread(data.data(), 1, data.size(), *file);
    const bool failed = std::ferror(*file);
    std::fclose(*file);
    if (failed) {
      Finish(timer_.Finish(absl::DataLossError(absl::StrCat("reading chunk ", digest, " failed"))));
      return;
    }
    data.resize(n);
    // Sent as stored: the worker checks every digest itself, so a blob altered on the server's
    // disk is caught there.
    chunk_.set_sha256(digest);
    chunk_.set_data(std::move(data));
    StartWrite(&chunk_);
  }

  const ServiceContext& sc_;
  const RpcTimer timer_;
  std::vector<std::string> chunks_;
  size_t next_ = 0;
  bitsearch::v1::DatasetChunk chunk_;
};

}  // namespace

void ManifestToProto(const DatasetManifest& m, bitsearch::v1::DatasetManifest* out) {
  out->set_single_file(m.single_file);
  for (const ManifestFile& f : m.files) {
    auto* pf = out->add_files();
    pf->set_path(f.path);
    pf->set_size_bytes(f.size);
    pf->set_sha256(f.sha256);
    for (const std::string& c : f.chunks) pf->add_chunks(c);
  }
}

DatasetManifest ManifestFromProto(const bitsearch::v1::DatasetManifest& m) {
  DatasetManifest out;
  out.single_file = m.single_file();
  for (const auto& f : m.files()) {
    out.files.push_back({f.path(), f.size_bytes(), f.sha256(), {f.chunks().begin(), f.chunks().end()}});
  }
  return out;
}

Unary* DatasetServiceImpl::FindMissingChunks(Ctx* ctx, const v1::FindMissingChunksRequest* req,
                                             v1::FindMissingChunksResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.DatasetService/FindMissingChunks", {Role::kClient},
      [&](const Caller&) {
        return sc_.datasets->FindMissingChunks({req->chunks().begin(), req->chunks().end()});
      },
      [&](std::vector<std::string>& missing) {
        for (std::string& c : missing) resp->add_missing(std::move(c));
      });
}

DatasetServiceImpl::ChunkReader* DatasetServiceImpl::UploadChunks(Ctx* ctx,
                                                                  v1::UploadChunksResponse* resp) {
  return new UploadReactor(sc_, ctx, resp);
}

Unary* DatasetServiceImpl::CommitDataset(Ctx* ctx, const v1::CommitDatasetRequest* req,
                                         v1::CommitDatasetResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.DatasetService/CommitDataset", {Role::kClient},
      [&](const Caller&) {
        return sc_.datasets->Commit(req->name(), ManifestFromProto(req->manifest()));
      },
      [&](const DatasetRecord& d) { DatasetToProto(d, resp->mutable_dataset()); });
}

Unary* DatasetServiceImpl::ListDatasets(Ctx* ctx, const v1::ListDatasetsRequest*,
                                        v1::ListDatasetsResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.DatasetService/ListDatasets", {Role::kClient},
      [&](const Caller&) { return sc_.datasets->List(); },
      [&](const std::vector<DatasetRecord>& all) {
        for (const DatasetRecord& d : all) DatasetToProto(d, resp->add_datasets());
      });
}

Unary* DatasetServiceImpl::GetDatasetManifest(Ctx* ctx, const v1::GetDatasetManifestRequest* req,
                                              v1::GetDatasetManifestResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.DatasetService/GetDatasetManifest", {Role::kWorker},
      [&](const Caller&) { return sc_.datasets->GetByDigest(req->digest()); },
      [&](const std::pair<DatasetRecord, DatasetManifest>& found) {
        DatasetToProto(found.first, resp->mutable_dataset());
        ManifestToProto(found.second, resp->mutable_manifest());
      });
}

DatasetServiceImpl::ChunkWriter* DatasetServiceImpl::DownloadChunks(
    Ctx* ctx, const v1::DownloadChunksRequest* req) {
  return new DownloadReactor(sc_, ctx, *req);
}

}  // namespace bitsearch::server
