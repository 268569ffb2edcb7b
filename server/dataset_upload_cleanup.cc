// DatasetManager, part 2: removing what uploads that were never committed left behind.
//
// An upload has no server-side record until its commit: its chunks are content-addressed blobs
// that the upload's commit (or a later one) will list. So "abandoned" is what no committed
// manifest lists and nobody has touched for the idle timeout; the time is the chunk file's
// modification time, which PutChunk, FindMissingChunks and OpenChunk move forward (TouchChunk), so
// it survives a server restart and a resuming upload keeps what it has sent.
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "server/dataset_manager.h"

namespace bitsearch::server {
namespace {

namespace fs = std::filesystem;

int64_t ModifiedMs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace

std::string DescribeAbandonedUploads(const AbandonedUploads& removed, int64_t idle_ms) {
  std::string line = "removed";
  if (removed.chunks > 0) {
    absl::StrAppend(&line, " ", removed.chunks, " chunk(s) (", removed.bytes, " bytes) of data-set uploads never ",
                    "committed and idle for over ", idle_ms / 1000.0, " s (--upload-idle-timeout)");
  }
  if (removed.temp_files > 0) {
    absl::StrAppend(&line, removed.chunks > 0 ? " and" : "", " ", removed.temp_files,
                    " half-written chunk file(s) of interrupted uploads");
  }
  return absl::StrCat(line, "; committed data sets are untouched");
}

absl::StatusOr<AbandonedUploads> DatasetManager::RemoveAbandonedUploads(bool at_start) {
  const int64_t idle_ms = limits_.upload_idle_ms;
  AbandonedUploads removed;
  if (idle_ms <= 0 && !at_start) return removed;  // --upload-idle-timeout 0: keep everything
  const fs::path root = blobs_->PathOf("datasets/chunks");
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return removed;

  absl::MutexLock lock(&mu_);  // no commit may start listing a chunk while this pass runs
  // Every chunk of every committed data set; a manifest that does not parse ends the pass here,
  // before anything is removed (never guess what a committed data set needs).
  std::set<std::string> committed;
  BS_ASSIGN_OR_RETURN(std::vector<DatasetRecord> datasets, store_->ListDatasets());
  for (const DatasetRecord& listed : datasets) {
    BS_ASSIGN_OR_RETURN(DatasetRecord d, store_->GetDatasetByName(listed.name));
    BS_ASSIGN_OR_RETURN(DatasetManifest m, ManifestFromJson(d.manifest_json));
    for (const ManifestFile& f : m.files) committed.insert(f.chunks.begin(), f.chunks.end());
  }

  const int64_t idle_before_ms = clock_->NowMs() - idle_ms;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const std::string path = it->path().string();
    const std::string name = it->path().filename().string();
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;  // removed meanwhile
    const bool idle = idle_ms > 0 && ModifiedMs(st) < idle_before_ms;
    if (absl::StrContains(name, ".tmp.")) {
      // A chunk write cut off by a crash (base/atomic_file.h names its temporary files so).
      if (!at_start && !idle) continue;
      if (fs::remove(it->path(), ec)) ++removed.temp_files;
      ec.clear();
    } else if (IsSha256Hex(name) && idle && committed.count(name) == 0) {
      if (fs::remove(it->path(), ec)) {
        ++removed.chunks;
        removed.bytes += st.st_size;
      }
      ec.clear();
    }
  }
  return removed;
}

}  // namespace bitsearch::server
