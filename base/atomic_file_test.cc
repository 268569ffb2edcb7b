#include "base/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/test_temp_dir.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.Path(name); }
  // Names in the folder besides `except` (left-over temporary files).
  int Others(const std::string& except) const {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_.path())) n += e.path().filename() != except;
    return n;
  }

  TempDir dir_{"bitsearch-base-test"};
};

TEST_F(AtomicFileTest, WritesCreateFoldersReplaceAndLeaveNoTemporaryFile) {
  std::string path = Path("a/b/out.json");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(*ReadFileToString(path), "second");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::others_read, fs::perms::others_read);
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(AtomicFileTest, UncommittedWriterLeavesTheOldFileAndNoTemporary) {
  std::string path = Path("blob");
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  {
    auto writer = AtomicFileWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->Append("new bytes").ok());
    EXPECT_EQ((*writer)->size(), 9);
    EXPECT_EQ(Others("blob"), 1);  // the temporary file exists while writing
  }
  EXPECT_EQ(*ReadFileToString(path), "old");
  EXPECT_EQ(Others("blob"), 0);
}

TEST_F(AtomicFileTest, CommitTwiceIsAnError) {
  auto writer = AtomicFileWriter::Open(Path("x"));
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ((*writer)->Commit().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*ReadFileToString(Path("x")), "");
}

TEST_F(AtomicFileTest, MissingFileAndFolderAreNotFound) {
  EXPECT_EQ(ReadFileToString(Path("none")).status().code(), absl::StatusCode::kNotFound);
  absl::Status st = AtomicFileWriter::Open(Path("no/such/folder/x")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_NE(st.message().find("no/such/folder/x"), std::string::npos) << st;
}

TEST_F(AtomicFileTest, AFullFileSystemIsResourceExhaustedAndRemovesTheTemporary) {
  // RLIMIT_FSIZE makes write() fail with EFBIG past the limit, as a full disk fails with ENOSPC.
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  absl::Status st = WriteFileAtomically(Path("big"), std::string(10000, 'x'));
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_FALSE(fs::exists(Path("big")));
  EXPECT_EQ(Others(""), 0);
}

TEST(ErrnoStatusTest, MapsErrnoToCodes) {
  EXPECT_EQ(ErrnoStatus(ENOSPC, "write", "/p").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoStatus(EACCES, "open", "/p").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoStatus(ENOENT, "open", "/p").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoStatus(EIO, "read", "/p").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrnoStatus(EIO, "read", "/p").message(),
            absl::StrCat("/p: read failed: ", std::strerror(EIO)));
}

}  // namespace
}  // namespace bitsearch
