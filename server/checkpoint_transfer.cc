// Chunked checkpoint transfer of WorkerService. Upload streams into a temporary blob that only
// replaces the job's checkpoint once the whole stream arrived and the lease still holds; download
// streams the current checkpoint in chunks of Limits::checkpoint_chunk_bytes.
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "server/proto_convert.h"
#include "server/status_macros.h"
#include "server/worker_service.h"

namespace bitsearch::server {
namespace {

constexpr char kUpload[] = "bitsearch.v1.WorkerService/UploadCheckpoint";
constexpr char kDownload[] = "bitsearch.v1.WorkerService/DownloadCheckpoint";

class UploadReactor final : public grpc::ServerReadReactor<bitsearch::v1::CheckpointChunk> {
 public:
  UploadReactor(const ServiceContext& sc, grpc::CallbackServerContext* ctx,
                bitsearch::v1::UploadCheckpointResponse* response)
      : sc_(sc), timer_(sc, kUpload), response_(response) {
    absl::Status st = sc_.auth->Check(ctx, {Role::kWorker}, kUpload);
    if (!st.ok()) {
      Done(st);
      return;
    }
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed: publish what arrived
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
    if (writer_ == nullptr) {
      BS_RETURN_IF_ERROR(ValidateLeaseRef(chunk_.lease()));
      lease_ = FromProto(chunk_.lease());
      BS_RETURN_IF_ERROR(sc_.store->CheckLease(lease_).status());
      blob_ = absl::StrCat("checkpoints/", lease_.job_id, "-a", lease_.attempt, "-",
                           sc_.clock->NowMs(), ".ckpt");
      BS_ASSIGN_OR_RETURN(writer_, sc_.blobs->BeginWrite(blob_));
    }
    if (static_cast<int64_t>(chunk_.data().size()) > sc_.limits.checkpoint_chunk_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint chunk of ", chunk_.data().size(),
                                                     " bytes; the limit is ",
                                                     sc_.limits.checkpoint_chunk_bytes));
    }
    if (writer_->size() + static_cast<int64_t>(chunk_.data().size()) >
        sc_.limits.max_checkpoint_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat("checkpoint exceeds the limit of ",
                                                       sc_.limits.max_checkpoint_bytes, " bytes"));
    }
    return writer_->Append(chunk_.data());
  }

  absl::Status Commit() {
    if (writer_ == nullptr) {
      return absl::InvalidArgumentError("the upload carried no chunk (the first names the lease)");
    }
    int64_t size = writer_->size();
    BS_RETURN_IF_ERROR(writer_->Commit());
    writer_.reset();
    absl::StatusOr<std::string> replaced =
        sc_.store->SetCheckpoint(lease_, blob_, size, sc_.clock->NowMs());
    if (!replaced.ok()) {
      (void)sc_.blobs->Remove(blob_);
      return replaced.status();
    }
    if (!replaced->empty() && *replaced != blob_) (void)sc_.blobs->Remove(*replaced);
    response_->set_size_bytes(size);
    return absl::OkStatus();
  }

  void Done(const absl::Status& status) {
    writer_.reset();  // an unpublished temp file is removed here
    Finish(timer_.Finish(status));
  }

  const ServiceContext& sc_;
  const RpcTimer timer_;
  bitsearch::v1::UploadCheckpointResponse* response_;
  bitsearch::v1::CheckpointChunk chunk_;
  LeaseRef lease_;
  std::string blob_;
  std::unique_ptr<BlobWriter> writer_;
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
    BS_RETURN_IF_ERROR(sc_.auth->Check(ctx, {Role::kWorker}, kDownload));
    BS_RETURN_IF_ERROR(ValidateLeaseRef(request.lease()));
    BS_ASSIGN_OR_RETURN(JobRecord job, sc_.store->CheckLease(FromProto(request.lease())));
    if (job.checkpoint_blob.empty()) {
      return absl::NotFoundError(absl::StrCat("job ", job.id, " has no checkpoint"));
    }
    BS_ASSIGN_OR_RETURN(file_, sc_.blobs->OpenForRead(job.checkpoint_blob));
    return absl::OkStatus();
  }

  void Next() {
    std::string buf(static_cast<size_t>(sc_.limits.checkpoint_chunk_bytes), '\0');
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
