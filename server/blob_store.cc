#include "server/blob_store.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"

namespace bitsearch::server {
namespace {

// The status with the data folder cut out of its message; a full disk says so plainly.
absl::Status Redact(const absl::Status& st, const std::string& root, const std::string& name) {
  if (st.ok()) return st;
  std::string message = absl::StrReplaceAll(st.message(), {{root + "/", ""}, {root, "data-dir"}});
  if (absl::IsResourceExhausted(st)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the server is out of disk space storing ", name, " (", message, ")"));
  }
  return absl::Status(st.code(), message);
}

}  // namespace

absl::Status BlobWriter::Append(absl::string_view bytes) {
  return Redact(file_->Append(bytes), root_, name_);
}

absl::Status BlobWriter::Commit() { return Redact(file_->Commit(), root_, name_); }

absl::StatusOr<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& root) {
  std::error_code ec;
  for (const char* sub : {"", "/models", "/checkpoints", "/exports"}) {
    std::filesystem::create_directories(root + sub, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create data directory ", root, sub, ": ", ec.message()));
    }
  }
  return std::unique_ptr<BlobStore>(new BlobStore(root));
}

absl::Status BlobStore::CheckName(const std::string& name) const {
  if (name.empty() || name[0] == '/' || absl::StrContains(name, "..")) {
    return absl::InvalidArgumentError(absl::StrCat("bad blob name '", name, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<BlobWriter>> BlobStore::BeginWrite(const std::string& name) {
  BS_RETURN_IF_ERROR(CheckName(name));
  absl::StatusOr<std::unique_ptr<AtomicFileWriter>> file = AtomicFileWriter::Open(PathOf(name));
  if (!file.ok()) return Redact(file.status(), root_, name);
  return std::make_unique<BlobWriter>(name, root_, std::move(*file));
}

absl::Status BlobStore::WriteAtomic(const std::string& name, absl::string_view bytes) {
  BS_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, BeginWrite(name));
  BS_RETURN_IF_ERROR(writer->Append(bytes));
  return writer->Commit();
}

absl::StatusOr<FILE*> BlobStore::OpenForRead(const std::string& name) const {
  BS_RETURN_IF_ERROR(CheckName(name));
  FILE* f = std::fopen(PathOf(name).c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("blob ", name, " is missing"));
    return Redact(ErrnoStatus(errno, "open", PathOf(name)), root_, name);
  }
  return f;
}

absl::StatusOr<std::string> BlobStore::Read(const std::string& name) const {
  BS_ASSIGN_OR_RETURN(FILE * f, OpenForRead(name));
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) return Redact(ErrnoStatus(err, "read", PathOf(name)), root_, name);
  return out;
}

absl::Status BlobStore::Remove(const std::string& name) {
  BS_RETURN_IF_ERROR(CheckName(name));
  if (unlink(PathOf(name).c_str()) != 0 && errno != ENOENT) {
    return Redact(ErrnoStatus(errno, "remove", PathOf(name)), root_, name);
  }
  return absl::OkStatus();
}

bool BlobStore::Exists(const std::string& name) const {
  std::error_code ec;
  return CheckName(name).ok() && std::filesystem::is_regular_file(PathOf(name), ec);
}

}  // namespace bitsearch::server
