#include "workers/dataset_fetcher.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "search/dataset_manifest.h"
#include "workers/worker.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;
using worker_internal::Ctx;
using worker_internal::Log;

absl::Status FromGrpc(const grpc::Status& st, const std::string& what) {
  if (st.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()), absl::StrCat(what, ": ", st.error_message()));
}

constexpr int kChunksPerCall = 64;  // a download call streams at most this many chunks (64 MiB)

}  // namespace

DatasetFetcher::DatasetFetcher(std::shared_ptr<grpc::Channel> channel, std::string token, std::string data_dir)
    : stub_(bitsearch::v1::DatasetService::NewStub(channel)), token_(std::move(token)), data_dir_(std::move(data_dir)) {}

absl::StatusOr<FetchedDataset> DatasetFetcher::Fetch(const std::string& name, const std::string& digest) {
  const std::string prefix = "sha256:";
  if (digest.compare(0, prefix.size(), prefix) != 0 || !IsSha256Hex(digest.substr(prefix.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.digest: \"", digest, "\" is not sha256:<hex>"));
  }
  const std::string final_dir = absl::StrCat(data_dir_, "/datasets/", digest.substr(prefix.size()));
  const std::string single = final_dir + "/.single_file";
  std::error_code ec;
  if (fs::is_directory(final_dir, ec)) {
    FetchedDataset cached{final_dir, "", false};
    std::ifstream in(single);
    std::getline(in, cached.single_file);
    Log(absl::StrCat("dataset ", name, " (", digest, ") from this worker's cache ", final_dir));
    return cached;
  }
  return Download(name, digest, final_dir);
}

absl::StatusOr<FetchedDataset> DatasetFetcher::Download(const std::string& name, const std::string& digest,
                                                        const std::string& final_dir) {
  const auto start = std::chrono::steady_clock::now();
  bitsearch::v1::GetDatasetManifestRequest req;
  req.set_digest(digest);
  bitsearch::v1::GetDatasetManifestResponse resp;
  BS_RETURN_IF_ERROR(FromGrpc(stub_->GetDatasetManifest(Ctx(token_, 60).get(), req, &resp),
                              absl::StrCat("data set ", name, " (", digest, ")")));
  DatasetManifest m;
  m.single_file = resp.manifest().single_file();
  for (const auto& f : resp.manifest().files()) {
    m.files.push_back({f.path(), f.size_bytes(), f.sha256(), {f.chunks().begin(), f.chunks().end()}});
  }
  // The manifest must be the one the digest names, and its paths must stay inside the folder.
  BS_RETURN_IF_ERROR(ValidateManifest(m));
  if (ManifestDigest(m) != digest) {
    return absl::DataLossError(absl::StrCat("data set ", name, ": the manifest the server sent hashes to ",
                                            ManifestDigest(m), ", not ", digest, "; refused, nothing cached"));
  }
  const std::string temp = absl::StrCat(final_dir, ".part-", ::getpid());
  std::error_code ec;
  fs::remove_all(temp, ec);
  struct RemoveTemp {
    std::string dir;
    ~RemoveTemp() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } remove_temp{temp};
  int64_t bytes = 0;
  for (const ManifestFile& f : m.files) {
    const fs::path out_path = fs::path(temp) / f.path;
    fs::create_directories(out_path.parent_path(), ec);
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", out_path.string()));
    Sha256 whole;
    for (size_t from = 0; from < f.chunks.size(); from += kChunksPerCall) {
      bitsearch::v1::DownloadChunksRequest dreq;
      const size_t to = std::min(f.chunks.size(), from + kChunksPerCall);
      for (size_t c = from; c < to; ++c) dreq.add_chunks(f.chunks[c]);
      auto ctx = Ctx(token_, 600);
      auto reader = stub_->DownloadChunks(ctx.get(), dreq);
      bitsearch::v1::DatasetChunk chunk;
      size_t c = from;
      while (reader->Read(&chunk)) {
        if (c >= to || chunk.sha256() != f.chunks[c] || Sha256Hex(chunk.data()) != f.chunks[c]) {
          ctx->TryCancel();
          (void)reader->Finish();
          return absl::DataLossError(absl::StrCat(
              "data set ", name, ": chunk ", c - from < to - from ? f.chunks[c] : "(extra)", " of ", f.path,
              " does not match its SHA-256 (tampered with or corrupted); refused, nothing cached"));
        }
        whole.Update(chunk.data());
        out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
        bytes += static_cast<int64_t>(chunk.data().size());
        ++c;
      }
      BS_RETURN_IF_ERROR(FromGrpc(reader->Finish(), absl::StrCat("downloading data set ", name)));
      if (c != to) return absl::DataLossError(absl::StrCat("data set ", name, ": ", f.path, ": the server sent too few chunks"));
    }
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", out_path.string()));
    if (whole.HexDigest() != f.sha256) {
      return absl::DataLossError(absl::StrCat("data set ", name, ": ", f.path, " does not match its SHA-256; refused, nothing cached"));
    }
  }
  FetchedDataset fetched{final_dir, m.single_file ? m.files[0].path : "", true};
  if (m.single_file) std::ofstream(fs::path(temp) / ".single_file") << fetched.single_file << "\n";
  fs::rename(temp, final_dir, ec);
  if (ec && !fs::is_directory(final_dir)) {
    return absl::InternalError(absl::StrCat("cannot publish ", final_dir, ": ", ec.message()));
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Log(absl::StrFormat("dataset %s (%s) downloaded: %d files, %d bytes in %.2f s, cached in %s", name, digest,
                      m.files.size(), bytes, s, final_dir));
  return fetched;
}

}  // namespace bitsearch
