#include "server/dataset_manager.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace bitsearch::server {

using nlohmann::json;

DatasetManager::DatasetManager(DatasetStore* store, BlobStore* blobs, const Clock* clock, DatasetLimits limits)
    : store_(store), blobs_(blobs), clock_(clock), limits_(limits) {}

std::string DatasetManager::ChunkBlob(const std::string& sha256) {
  return absl::StrCat("datasets/chunks/", sha256.substr(0, 2), "/", sha256);
}

bool DatasetManager::HasChunk(const std::string& sha256) const {
  std::error_code ec;
  return std::filesystem::is_regular_file(blobs_->PathOf(ChunkBlob(sha256)), ec);
}

void DatasetManager::TouchChunk(const std::string& sha256) {
  const int64_t now_ms = clock_->NowMs();
  const struct timespec times[2] = {{now_ms / 1000, (now_ms % 1000) * 1'000'000},
                                    {now_ms / 1000, (now_ms % 1000) * 1'000'000}};
  // Best effort: a chunk that cannot be touched only becomes eligible for cleaning sooner, and
  // only when no committed data set lists it.
  (void)utimensat(AT_FDCWD, blobs_->PathOf(ChunkBlob(sha256)).c_str(), times, 0);
}

absl::StatusOr<std::vector<std::string>> DatasetManager::FindMissingChunks(const std::vector<std::string>& chunks) {
  if (static_cast<int>(chunks.size()) > limits_.max_digests_per_call) {
    return absl::InvalidArgumentError(absl::StrCat(chunks.size(), " digests in one call; at most ", limits_.max_digests_per_call));
  }
  std::vector<std::string> missing;
  absl::MutexLock lock(&mu_);  // a chunk reported present stays for the upload's commit
  for (const std::string& c : chunks) {
    if (!IsSha256Hex(c)) return absl::InvalidArgumentError(absl::StrCat("\"", c, "\" is not a SHA-256 hex digest"));
    if (HasChunk(c)) {
      TouchChunk(c);
    } else {
      missing.push_back(c);
    }
  }
  return missing;
}

absl::Status DatasetManager::PutChunk(const std::string& sha256, absl::string_view data, bool* already_present) {
  if (!IsSha256Hex(sha256)) return absl::InvalidArgumentError(absl::StrCat("chunk digest \"", sha256, "\" is not SHA-256 hex"));
  if (static_cast<int64_t>(data.size()) > kDatasetChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat("chunk ", sha256, " is ", data.size(), " bytes; at most ", kDatasetChunkBytes));
  }
  const std::string actual = Sha256Hex(data);
  if (actual != sha256) {
    return absl::DataLossError(absl::StrCat("chunk ", sha256, " arrived with SHA-256 ", actual,
                                            ": tampered with or corrupted in transit; not stored"));
  }
  {
    absl::MutexLock lock(&mu_);
    *already_present = HasChunk(sha256);
    if (*already_present) {
      TouchChunk(sha256);
      return absl::OkStatus();
    }
  }
  std::error_code ec;  // chunks fan out into 256 folders by their first two hex digits
  std::filesystem::create_directories(std::filesystem::path(blobs_->PathOf(ChunkBlob(sha256))).parent_path(), ec);
  BS_RETURN_IF_ERROR(blobs_->WriteAtomic(ChunkBlob(sha256), data));
  absl::MutexLock lock(&mu_);
  TouchChunk(sha256);  // the upload's time on this server's clock
  return absl::OkStatus();
}

absl::StatusOr<DatasetRecord> DatasetManager::Commit(const std::string& name, const DatasetManifest& m) {
  BS_RETURN_IF_ERROR(ValidateDatasetName(name));
  BS_RETURN_IF_ERROR(ValidateManifest(m));
  if (m.TotalBytes() > limits_.max_dataset_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("data set \"", name, "\" is ", m.TotalBytes(),
                                                     " bytes; this server takes at most ", limits_.max_dataset_bytes,
                                                     " (bitsearch-server --max-dataset-bytes)"));
  }
  absl::MutexLock lock(&mu_);  // no cleaning between the check and the row
  for (const ManifestFile& f : m.files) {
    for (const std::string& c : f.chunks) {
      if (!HasChunk(c)) {
        return absl::FailedPreconditionError(absl::StrCat("chunk ", c, " of ", f.path,
                                                          " has not been uploaded (run the upload again: it resumes)"));
      }
    }
  }
  DatasetRecord d;
  d.name = name;
  d.digest = ManifestDigest(m);
  d.manifest_json = ManifestToJson(m);
  d.size_bytes = m.TotalBytes();
  d.files = static_cast<int64_t>(m.files.size());
  d.single_file = m.single_file;
  d.created_ms = clock_->NowMs();
  BS_RETURN_IF_ERROR(store_->PutDataset(d));
  d.manifest_json.clear();
  return d;
}

absl::StatusOr<std::vector<DatasetRecord>> DatasetManager::List() { return store_->ListDatasets(); }

absl::StatusOr<std::string> ResolveDatasetRef(DatasetStore& store, const std::string& name, const std::string& digest) {
  absl::StatusOr<DatasetRecord> found = store.GetDatasetByName(name);
  if (!found.ok()) return absl::Status(found.status().code(), absl::StrCat("dataset.ref: ", found.status().message()));
  const DatasetRecord& d = *found;
  if (!digest.empty() && digest != d.digest) {
    return absl::FailedPreconditionError(absl::StrCat("dataset.digest: data set \"", name, "\" is ", d.digest,
                                                      " now, not ", digest));
  }
  return d.digest;
}

absl::StatusOr<std::pair<DatasetRecord, DatasetManifest>> DatasetManager::GetByDigest(const std::string& digest) {
  BS_ASSIGN_OR_RETURN(DatasetRecord d, store_->GetDatasetByDigest(digest));
  BS_ASSIGN_OR_RETURN(DatasetManifest m, ManifestFromJson(d.manifest_json));
  d.manifest_json.clear();
  return std::make_pair(std::move(d), std::move(m));
}

absl::StatusOr<FILE*> DatasetManager::OpenChunk(const std::string& sha256) {
  if (!IsSha256Hex(sha256)) return absl::InvalidArgumentError(absl::StrCat("\"", sha256, "\" is not a SHA-256 hex digest"));
  absl::MutexLock lock(&mu_);
  if (!HasChunk(sha256)) return absl::NotFoundError(absl::StrCat("chunk ", sha256, " is not stored"));
  TouchChunk(sha256);
  return blobs_->OpenForRead(ChunkBlob(sha256));
}

std::string DatasetManager::ManifestToJson(const DatasetManifest& m) {
  json files = json::array();
  for (const ManifestFile& f : m.files) {
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"chunks", f.chunks}});
  }
  return json{{"single_file", m.single_file}, {"files", files}}.dump();
}

absl::StatusOr<DatasetManifest> DatasetManager::ManifestFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    DatasetManifest m;
    m.single_file = j.at("single_file").get<bool>();
    for (const json& f : j.at("files")) {
      m.files.push_back({f.at("path").get<std::string>(), f.at("size").get<int64_t>(), f.at("sha256").get<std::string>(),
                         f.at("chunks").get<std::vector<std::string>>()});
    }
    return m;
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("stored data set manifest does not parse: ", e.what()));
  }
}

}  // namespace bitsearch::server
