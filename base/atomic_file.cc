#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace bitsearch {

absl::Status ErrnoStatus(int err, const std::string& operation, const std::string& path) {
  std::string message = absl::StrCat(path, ": ", operation, " failed: ", std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::ResourceExhaustedError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    default:
      return absl::InternalError(message);
  }
}

AtomicFileWriter::AtomicFileWriter(std::string temp_path, std::string path, int fd)
    : temp_path_(std::move(temp_path)), path_(std::move(path)), fd_(fd) {}

absl::StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Open(const std::string& path) {
  // Same folder as the target so the rename stays on one file system (and is atomic).
  std::string temp = absl::StrCat(path, ".tmp.", ::getpid(), ".XXXXXX");
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return ErrnoStatus(errno, "creating a temporary file", path);
  ::fchmod(fd, 0644);  // mkstemp creates 0600; profiles and results are meant to be shared
  return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(temp, path, fd));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

absl::Status AtomicFileWriter::Append(absl::string_view bytes) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer is closed"));
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path_);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    size_ += n;
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer is closed"));
  // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
  int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "fsync", path_);
  }
  if (::close(fd) != 0) return ErrnoStatus(errno, "close", path_);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return ErrnoStatus(errno, "rename", path_);
  }
  committed_ = true;
  // The rename lives in the folder: fsync it too, or a power cut may undo a reported write.
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus(errno, "opening the folder to fsync", dir);
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  // Some file systems refuse fsync on folders (EINVAL); the data itself is already durable.
  if (rc != 0 && err != EINVAL) return ErrnoStatus(err, "fsync of the folder", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open for reading"));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return ErrnoStatus(ec.value(), "creating the folder", target.parent_path().string());
  }
  BS_ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> writer, AtomicFileWriter::Open(path));
  BS_RETURN_IF_ERROR(writer->Append(contents));
  return writer->Commit();
}

}  // namespace bitsearch
