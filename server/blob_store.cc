#include "server/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/status_macros.h"

namespace bitsearch::server {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string TempSuffix() {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(".tmp.", getpid(), ".", counter++);
}

}  // namespace

BlobWriter::BlobWriter(std::string temp_path, std::string final_path, int fd)
    : temp_path_(std::move(temp_path)), final_path_(std::move(final_path)), fd_(fd) {}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlink(temp_path_.c_str());
}

absl::Status BlobWriter::Append(absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", temp_path_);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    size_ += n;
  }
  return absl::OkStatus();
}

absl::Status BlobWriter::Commit() {
  if (fsync(fd_) != 0) return ErrnoError("fsync", temp_path_);
  if (close(fd_) != 0) {
    fd_ = -1;
    return ErrnoError("close", temp_path_);
  }
  fd_ = -1;
  if (rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return ErrnoError("rename to", final_path_);
  }
  committed_ = true;
  // Make the rename itself durable.
  std::string dir = std::filesystem::path(final_path_).parent_path().string();
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return absl::OkStatus();
}

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
  std::string final_path = PathOf(name);
  std::string temp_path = final_path + TempSuffix();
  int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("create", temp_path);
  return std::make_unique<BlobWriter>(temp_path, final_path, fd);
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
    return ErrnoError("open", PathOf(name));
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
  std::fclose(f);
  if (failed) return ErrnoError("read", PathOf(name));
  return out;
}

absl::Status BlobStore::Remove(const std::string& name) {
  BS_RETURN_IF_ERROR(CheckName(name));
  if (unlink(PathOf(name).c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", PathOf(name));
  return absl::OkStatus();
}

}  // namespace bitsearch::server
