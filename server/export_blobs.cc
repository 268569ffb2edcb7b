#include "server/export_blobs.h"

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "base/quote.h"
#include "bitsearch/v1/worker.pb.h"

namespace bitsearch::server {
namespace {

bool PlainFileName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string ExportBlobName(const std::string& job_id, int attempt) {
  return absl::StrCat("exports/", job_id, "-a", attempt, ".pb");
}

absl::Status ValidateExportFiles(const ExportFiles& files, int64_t max_total_bytes) {
  std::set<std::string> seen;
  int64_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& name = files[i].name;
    if (!PlainFileName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "export_files[", i, "].name ", Quoted(name),
          " is not a plain file name (letters, digits, '.', '_', '-'; no leading '.')"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("export_files[", i, "]: ", Quoted(name),
                                                     " is sent twice"));
    }
    total += static_cast<int64_t>(files[i].data.size());
  }
  if (total > max_total_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("export_files are ", total,
                                                   " bytes together; the limit is ", max_total_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StoreExportFiles(BlobStore& blobs, const std::string& job_id,
                                             int attempt, const ExportFiles& files) {
  bitsearch::v1::ExportBundle bundle;
  for (const ExportedFile& f : files) {
    bitsearch::v1::ExportedFile* out = bundle.add_files();
    out->set_name(f.name);
    out->set_data(f.data);
  }
  std::string blob = ExportBlobName(job_id, attempt);
  absl::Status st = blobs.WriteAtomic(blob, bundle.SerializeAsString());
  if (!st.ok()) return st;
  return blob;
}

absl::StatusOr<ExportFiles> LoadExportFiles(const BlobStore& blobs, const std::string& job_id,
                                            int attempt) {
  std::string blob = ExportBlobName(job_id, attempt);
  std::error_code ec;
  if (attempt <= 0 || !std::filesystem::exists(blobs.PathOf(blob), ec)) {
    return absl::NotFoundError(absl::StrCat(
        "job ", job_id, " has no exported model (its worker sent none; workers export unless "
        "started with --no-export)"));
  }
  absl::StatusOr<std::string> bytes = blobs.Read(blob);
  if (!bytes.ok()) return bytes.status();
  bitsearch::v1::ExportBundle bundle;
  if (!bundle.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("the export blob of job ", job_id, " is corrupt"));
  }
  ExportFiles files;
  for (bitsearch::v1::ExportedFile& f : *bundle.mutable_files()) {
    files.push_back(ExportedFile{f.name(), std::move(*f.mutable_data())});
  }
  return files;
}

}  // namespace bitsearch::server
