// The upload is content-addressed and resumable: the client hashes every file into 1 MiB chunks
// (search/dataset_manifest.h), tries the commit (which checks the size limit before anything is
// sent), asks the server which chunks it lacks, streams only those (the server verifies and keeps
// each as it arrives), and commits the manifest under the name. Cut off
// half-way (a dropped connection, a killed client), the next run of the same command sends only
// what is still missing; transient errors are retried with backoff within the same run.
#include "client/dataset_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/retry.h"
#include "bitsearch/v1/datasets.grpc.pb.h"
#include "client/service_client.h"
#include "nlohmann/json.hpp"
#include "search/data/npy.h"
#include "search/data/zip_archive.h"
#include "search/dataset_manifest.h"

namespace bitsearch {
namespace {

namespace v1 = ::bitsearch::v1;

constexpr int kDigestsPerQuery = 10'000;  // the server's limit per FindMissingChunks
constexpr int kChunksPerStream = 256;     // a cut-off stream loses at most this much progress

bool Transient(const grpc::Status& st) {
  return st.error_code() == grpc::StatusCode::UNAVAILABLE || st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         st.error_code() == grpc::StatusCode::ABORTED;
}

struct UploadArgs {
  std::string path, name;
  double max_mib_per_s = 0;  // 0 = as fast as the link goes
  double give_up_s = 600;
};

// Reads every .npz and .npy file back before anything is sent: a truncated or corrupt archive,
// or an array the readers cannot take (dtype, byte order), is refused here naming the file and
// the array, not found by a worker half-way through a job.
absl::Status CheckArrays(const std::string& root, const DatasetManifest& m) {
  for (const ManifestFile& f : m.files) {
    const std::string local = m.single_file ? root : absl::StrCat(root, "/", f.path);
    auto ends_with = [&](const char* ext) {
      const std::string e(ext);
      return f.path.size() >= e.size() && f.path.compare(f.path.size() - e.size(), e.size(), e) == 0;
    };
    if (ends_with(".npy")) {
      absl::StatusOr<NpyArray> a = ReadNpyFile(local);
      if (!a.ok()) return a.status();
    } else if (ends_with(".npz")) {
      absl::StatusOr<std::unique_ptr<ZipArchive>> zip = ZipArchive::Open(local);
      if (!zip.ok()) return zip.status();
      for (const std::string& name : (*zip)->Names()) {
        absl::StatusOr<std::string> bytes = (*zip)->Read(name);
        if (!bytes.ok()) return absl::Status(bytes.status().code(), absl::StrCat(local, ": ", bytes.status().message()));
        absl::StatusOr<NpyArray> a = ParseNpy(*bytes, absl::StrCat(local, ":", name));
        if (!a.ok()) return a.status();
      }
    }
  }
  return absl::OkStatus();
}

class Uploader {
 public:
  Uploader(ServiceClient& client, const UploadArgs& args)
      : client_(client), args_(args), stub_(v1::DatasetService::NewStub(client.NewChannel())) {}

  void Run() {
    const auto start = std::chrono::steady_clock::now();
    std::vector<LocalChunk> chunks;
    absl::Status name_ok = ValidateDatasetName(args_.name);
    if (!name_ok.ok()) Die(absl::StrCat("--name: ", name_ok.message()), kExitUsage);
    absl::StatusOr<DatasetManifest> manifest = BuildManifest(args_.path, &chunks);
    if (!manifest.ok()) Die(std::string(manifest.status().message()), kExitUsage);
    absl::Status arrays = CheckArrays(args_.path, *manifest);
    if (!arrays.ok()) Die(absl::StrCat(arrays.message(), "; nothing uploaded"), kExitUsage);
    std::fprintf(stderr, "bitsearch: %s: %zu files, %lld bytes, %zu chunks, %s\n", args_.path.c_str(),
                 manifest->files.size(), static_cast<long long>(manifest->TotalBytes()), chunks.size(),
                 ManifestDigest(*manifest).c_str());
    // One entry per distinct chunk (identical chunks of several files are sent once).
    std::vector<LocalChunk> unique;
    std::set<std::string> seen;
    for (const LocalChunk& c : chunks) {
      if (seen.insert(c.sha256).second) unique.push_back(c);
    }
    Backoff backoff(BackoffOptions{0.2, 5, 2, 0.5});
    grpc::Status last;
    bool done = RetryWithBackoff(
        [&] {
          // Committing first costs one call and sends nothing: the server refuses a data set over
          // its --max-dataset-bytes before any chunk travels, and names one it already holds whole.
          last = probed_ ? grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "") : Commit(*manifest);
          if (last.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {  // chunks missing
            probed_ = true;
            last = SendMissing(unique);
            if (last.ok()) last = Commit(*manifest);
          } else if (last.ok() && !counted_) {
            already_ = static_cast<int64_t>(unique.size());
            counted_ = true;
          }
          if (!last.ok() && !Transient(last)) client_.Check(last);
          if (!last.ok()) std::fprintf(stderr, "bitsearch: %s; retrying\n", client_.Describe(last).c_str());
          return last.ok();
        },
        backoff, args_.give_up_s);
    if (!done) client_.Check(last);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("uploaded %s: %s, %d files, %lld bytes (%lld chunks sent, %lld already on the server) in %.1f s\n",
                committed_.name().c_str(), committed_.digest().c_str(), committed_.files(),
                static_cast<long long>(committed_.size_bytes()), static_cast<long long>(sent_),
                static_cast<long long>(already_), s);
  }

 private:
  grpc::Status SendMissing(const std::vector<LocalChunk>& unique) {
    std::vector<const LocalChunk*> missing;
    for (size_t from = 0; from < unique.size(); from += kDigestsPerQuery) {
      v1::FindMissingChunksRequest req;
      const size_t to = std::min(unique.size(), from + kDigestsPerQuery);
      for (size_t i = from; i < to; ++i) req.add_chunks(unique[i].sha256);
      v1::FindMissingChunksResponse resp;
      grpc::Status st = stub_->FindMissingChunks(client_.Ctx(60).get(), req, &resp);
      if (!st.ok()) return st;
      std::set<std::string> lacking(resp.missing().begin(), resp.missing().end());
      for (size_t i = from; i < to; ++i) {
        if (lacking.count(unique[i].sha256)) missing.push_back(&unique[i]);
      }
    }
    if (!counted_) {  // what the server held before this command sent anything
      already_ = static_cast<int64_t>(unique.size() - missing.size());
      counted_ = true;
    }
    for (size_t from = 0; from < missing.size(); from += kChunksPerStream) {
      const size_t to = std::min(missing.size(), from + kChunksPerStream);
      v1::UploadChunksResponse resp;
      auto ctx = client_.Ctx(600);
      auto writer = stub_->UploadChunks(ctx.get(), &resp);
      v1::DatasetChunk msg;
      bool open = true;
      for (size_t i = from; i < to && open; ++i) {
        std::string data;
        grpc::Status read = ReadChunk(*missing[i], &data);
        if (!read.ok()) return read;
        msg.set_sha256(missing[i]->sha256);
        msg.set_data(std::move(data));
        Throttle(static_cast<int64_t>(msg.data().size()));
        open = writer->Write(msg);
      }
      writer->WritesDone();
      grpc::Status st = writer->Finish();
      if (!st.ok()) return st;
      sent_ += resp.stored();
    }
    return grpc::Status::OK;
  }

  grpc::Status ReadChunk(const LocalChunk& c, std::string* data) {
    std::ifstream in(c.file, std::ios::binary);
    data->resize(static_cast<size_t>(c.size));
    in.seekg(c.offset);
    in.read(data->data(), c.size);
    if (!in) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, absl::StrCat(c.file, ": cannot read it back"));
    return grpc::Status::OK;
  }

  // Keeps the average rate under --max-mib-per-s.
  void Throttle(int64_t bytes) {
    if (args_.max_mib_per_s <= 0) return;
    if (throttle_start_.time_since_epoch().count() == 0) throttle_start_ = std::chrono::steady_clock::now();
    throttled_bytes_ += bytes;
    const double due = throttled_bytes_ / (args_.max_mib_per_s * 1048576.0);
    const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - throttle_start_).count();
    if (due > spent) std::this_thread::sleep_for(std::chrono::duration<double>(due - spent));
  }

  grpc::Status Commit(const DatasetManifest& m) {
    v1::CommitDatasetRequest req;
    req.set_name(args_.name);
    req.mutable_manifest()->set_single_file(m.single_file);
    for (const ManifestFile& f : m.files) {
      auto* pf = req.mutable_manifest()->add_files();
      pf->set_path(f.path);
      pf->set_size_bytes(f.size);
      pf->set_sha256(f.sha256);
      for (const std::string& c : f.chunks) pf->add_chunks(c);
    }
    v1::CommitDatasetResponse resp;
    grpc::Status st = stub_->CommitDataset(client_.Ctx(60).get(), req, &resp);
    if (st.ok()) committed_ = resp.dataset();
    return st;
  }

  ServiceClient& client_;
  const UploadArgs& args_;
  std::unique_ptr<v1::DatasetService::Stub> stub_;
  v1::Dataset committed_;
  int64_t sent_ = 0, already_ = 0;
  bool counted_ = false;
  bool probed_ = false;  // the first commit said which chunks are missing
  std::chrono::steady_clock::time_point throttle_start_{};
  int64_t throttled_bytes_ = 0;
};

void List(ServiceClient& client, bool json) {
  auto stub = v1::DatasetService::NewStub(client.NewChannel());
  v1::ListDatasetsResponse resp;
  client.Check(stub->ListDatasets(client.Ctx().get(), v1::ListDatasetsRequest(), &resp));
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : resp.datasets()) {
      out.push_back({{"name", d.name()}, {"digest", d.digest()}, {"size_bytes", d.size_bytes()},
                     {"files", d.files()}, {"single_file", d.single_file()}, {"created_unix_ms", d.created_unix_ms()}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("%-24s %8s %14s  %-19s  %s\n", "NAME", "FILES", "BYTES", "UPLOADED", "DIGEST");
  for (const auto& d : resp.datasets()) {
    std::printf("%-24s %8d %14lld  %-19s  %s\n", d.name().c_str(), d.files(), static_cast<long long>(d.size_bytes()),
                absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(d.created_unix_ms()), absl::LocalTimeZone()).c_str(),
                d.digest().c_str());
  }
}

}  // namespace

void AddDatasetCommands(CLI::App& app, std::shared_ptr<ConnectionFlags> connection) {
  std::shared_ptr<Connection> conn = std::move(connection);
  auto up = std::make_shared<UploadArgs>();
  auto json = std::make_shared<bool>(false);
  CLI::App* datasets = app.add_subcommand("datasets", kDatasetsCommandHelp);
  datasets->require_subcommand(1);
  CLI::App* upload = datasets->add_subcommand(
      "upload", "upload a file (.npz, .npy) or a folder (image folder, .npy files); resumes where a cut-off upload stopped");
  upload->add_option("path", up->path, "file or folder")->required();
  upload->add_option("--name", up->name, "name specs use: {\"ref\": NAME}")->required();
  upload->add_option("--max-mib-per-s", up->max_mib_per_s, "cap the upload rate (MiB/s; 0 = no cap)");
  upload->add_option("--give-up-after", up->give_up_s, "seconds of failed retries before giving up");
  AddConnectionOptions(upload, conn);
  upload->callback([conn, up] {
    ServiceClient client(*conn);
    Uploader(client, *up).Run();
  });
  CLI::App* list = datasets->add_subcommand("list", "list the uploaded data sets");
  list->add_flag("--json", *json, "machine-readable output");
  AddConnectionOptions(list, conn);
  list->callback([conn, json] {
    ServiceClient client(*conn);
    List(client, *json);
  });
}

}  // namespace bitsearch
