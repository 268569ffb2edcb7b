// Chunked checkpoint transfer of WorkerService: the reactors feed a JobManager CheckpointUpload
// (a temporary blob that only replaces the job's checkpoint once the worker's final chunk arrived
// with the right total size, the stream ended cleanly and the lease still holds) or stream
// JobManager::OpenCheckpoint in chunks of Limits::checkpoint_chunk_bytes.
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/proto_convert.h"
#include "server/worker_service.h"

namespace bitsearch::server {
namespace {

constexpr char kUpload[] = "bitsearch.v1.WorkerService/UploadCheckpoint";
constexpr char kDownload[] = "bitsearch.v1.WorkerService/DownloadCheckpoint";

class UploadReactor final : public grpc::ServerReadReactor<bitsearch::v1::CheckpointChunk> {
 public:
  UploadReactor(const ServiceContext& sc, grpc::CallbackServerContext* ctx,
                bitsearch::v1::UploadCheckpointResponse* response)
      : sc_(sc), ctx_(ctx), timer_(sc, kUpload), response_(response) {
    absl::Status st = sc_.auth->Authenticate(ctx, {Role::kWorker}, kUpload).status();
    if (!st.ok()) {
      Done(st);
      return;
    }
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The reads end on a clean half-close, but also when the worker dies or the connection
      // breaks mid-upload, and nothing guarantees that gRPC marks the call cancelled before
      // then. Commit() publishes only an upload whose final chunk arrived with the right size,
      // so a cut-off stream is refused either way (DATA_LOSS) and the job keeps its last good
      // checkpoint; a cancelled call is not published even when complete (its worker retries).
      if (ctx_->IsCancelled()) {
        Done(absl::CancelledError("checkpoint upload cancelled before its end; not published"));
        return;
      }
      Done(Commit());
      return;
    }
    absl::Status st = Accept();
    if (!st.ok()) {
      Done(st);
      return;
    }
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Accept() {
    if (upload_ == nullptr) {
      BS_ASSIGN_OR_RETURN(upload_, sc_.jobs->BeginCheckpointUpload(FromProto(chunk_.lease())));
    }
    BS_RETURN_IF_ERROR(upload_->Append(chunk_.data()));
    return chunk_.last() ? upload_->End(chunk_.total_bytes()) : absl::OkStatus();
  }

  absl::Status Commit() {
    if (upload_ == nullptr) {
      return absl::InvalidArgumentError("the upload carried no chunk (the first names the lease)");
    }
    BS_ASSIGN_OR_RETURN(int64_t size, upload_->Commit());
    response_->set_size_bytes(size);
    return absl::OkStatus();
  }

  void Done(const absl::Status& status) {
    upload_.reset();  // an unpublished temp file is removed here
    Finish(timer_.Finish(status));
  }

  const ServiceContext& sc_;
  grpc::CallbackServerContext* const ctx_;
  const RpcTimer timer_;
  bitsearch::v1::UploadCheckpointResponse* response_;
  bitsearch::v1::CheckpointChunk chunk_;
  std::unique_ptr<CheckpointUpload> upload_;
};

class DownloadReactor final : public grpc::ServerWriteReactor<bitsearch::v1::CheckpointChunk> {
 public:
  DownloadReactor(const ServiceContext& sc, grpc::CallbackServerContext* ctx,
                  const bitsearch::v1::DownloadCheckpointRequest& request)
      : sc_(sc), timer_(sc, kDownload) {
    absl::Status st = Open(ctx, request);
    if (!st.ok()) {
      Done(st);
      return;
    }
    Next();
  }

  ~DownloadReactor() override {
    if (file_ != nullptr) std::fclose(file_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Done(absl::CancelledError("download closed by the client"));
      return;
    }
    Next();
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Open(grpc::CallbackServerContext* ctx,
                    const bitsearch::v1::DownloadCheckpointRequest& request) {
    BS_RETURN_IF_ERROR(sc_.auth->Authenticate(ctx, {Role::kWorker}, kDownload).status());
    BS_ASSIGN_OR_RETURN(file_, sc_.jobs->OpenCheckpoint(FromProto(request.lease())));
    return absl::OkStatus();
  }

  void Next() {
    std::string buf(static_cast<size_t>(sc_.jobs->options().limits.checkpoint_chunk_bytes), '\0');
    size_t n = std::fread(buf.data(), 1, buf.size(), file_);
    if (n == 0) {
      Done(std::ferror(file_) ? absl::DataLossError("reading the checkpoint blob failed")
                              : absl::OkStatus());
      return;
    }
    buf.resize(n);
    chunk_.set_data(std::move(buf));
    StartWrite(&chunk_);
  }

  void Done(const absl::Status& status) { Finish(timer_.Finish(status)); }

  const ServiceContext& sc_;
  const RpcTimer timer_;
  FILE* file_ = nullptr;
  bitsearch::v1::CheckpointChunk chunk_;
};

}  // namespace

grpc::ServerReadReactor<bitsearch::v1::CheckpointChunk>* StartUploadCheckpoint(
    const ServiceContext& sc, grpc::CallbackServerContext* ctx,
    bitsearch::v1::UploadCheckpointResponse* response) {
  return new UploadReactor(sc, ctx, response);
}

grpc::ServerWriteReactor<bitsearch::v1::CheckpointChunk>* StartDownloadCheckpoint(
    const ServiceContext& sc, grpc::CallbackServerContext* ctx,
    const bitsearch::v1::DownloadCheckpointRequest& request) {
  return new DownloadReactor(sc, ctx, request);
}

}  // namespace bitsearch::server
