// Paths in a leased spec resolve inside --data-root only: /etc/passwd, "..", /dev/zero, FIFOs and
// links out of the root are refused before anything is opened.
#include "workers/job_inputs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

class JobInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "bitsearch-inputs-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    root_ = dir_ + "/root";
    fs::create_directories(root_ + "/models");
    fs::create_directories(root_ + "/data");
    std::ofstream(root_ + "/models/net.onnx") << "onnx bytes";
    std::ofstream(root_ + "/data/train-images-idx3-ubyte") << "idx";
    std::ofstream(dir_ + "/outside.onnx") << "secret";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The error of resolving `model` (and `data`, if given), "" when accepted.
  std::string Error(const std::string& model, const std::string& data = "",
                    int64_t max_bytes = 1 << 20) {
    JobSpec spec;
    spec.model.zoo.clear();
    spec.model.onnx = model;
    spec.dataset.path = data;
    absl::Status st = ResolveJobInputs(&spec, false, {root_}, max_bytes);
    return st.ok() ? "" : std::string(st.message());
  }

  std::string dir_;
  std::string root_;
};

TEST_F(JobInputsTest, FilesInsideTheRootResolveToAbsolutePaths) {
  JobSpec spec;
  spec.model.onnx = "models/net.onnx";
  spec.dataset.format = "idx";
  spec.dataset.path = "data";
  ASSERT_TRUE(ResolveJobInputs(&spec, false, {root_}, 1 << 20).ok());
  EXPECT_EQ(spec.model.onnx, fs::canonical(root_ + "/models/net.onnx").string());
  EXPECT_EQ(spec.dataset.path, fs::canonical(root_ + "/data").string());
}

TEST_F(JobInputsTest, PathsOutsideTheRootAreRefused) {
  EXPECT_TRUE(absl::StrContains(Error("/etc/passwd"), "leaves the worker's --data-root"));
  EXPECT_TRUE(absl::StrContains(Error("../outside.onnx"), "leaves the worker's --data-root"));
  EXPECT_TRUE(absl::StrContains(Error("models/../../outside.onnx"), "leaves"));
  fs::create_symlink(dir_ + "/outside.onnx", root_ + "/models/link.onnx");
  EXPECT_TRUE(absl::StrContains(Error("models/link.onnx"), "leaves"));
  fs::create_symlink("/dev/zero", root_ + "/models/zero.onnx");
  EXPECT_TRUE(absl::StrContains(Error("models/zero.onnx"), "leaves"));
  EXPECT_TRUE(absl::StrContains(Error("models/none.onnx"), "not found"));
  fs::create_symlink(dir_ + "/outside.onnx", root_ + "/data/t10k-images-idx3-ubyte");
  EXPECT_TRUE(absl::StrContains(Error("", "data"), "links outside"));
}

TEST_F(JobInputsTest, DevicesFifosAndOversizedFilesAreRefusedWithoutOpeningThem) {
  ASSERT_EQ(mkfifo((root_ + "/models/pipe.onnx").c_str(), 0600), 0);
  // stat() does not open: a FIFO with no writer would otherwise block here forever.
  EXPECT_TRUE(absl::StrContains(Error("models/pipe.onnx"), "not a regular file"));
  EXPECT_TRUE(absl::StrContains(Error("models/net.onnx", "", 4), "is 10 bytes; this worker reads at most 4"));
  EXPECT_TRUE(absl::StrContains(Error("", "models/net.onnx"), "is not a folder"));
}

TEST_F(JobInputsTest, WithoutDataRootOnlyUploadsAndCatalogsRun) {
  JobSpec spec;
  spec.model.onnx = "models/net.onnx";
  absl::Status st = ResolveJobInputs(&spec, false, {}, 1 << 20);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(st.message(), "no --data-root")) << st;
  EXPECT_TRUE(ResolveJobInputs(&spec, /*model_uploaded=*/true, {}, 1 << 20).ok());
  JobSpec zoo;  // lenet5 on Fashion-MNIST: nothing to resolve
  EXPECT_TRUE(ResolveJobInputs(&zoo, false, {}, 1 << 20).ok());
}

// An .npz archive and .npy arrays are files, each resolved and checked on its own; an uploaded
// data set (dataset.ref) is not looked for here at all.
TEST_F(JobInputsTest, ArrayFilesResolveOneByOneAndUploadsAreLeftAlone) {
  std::ofstream(root_ + "/data/d.npz") << "zip";
  std::ofstream(root_ + "/data/x.npy") << "npy";
  JobSpec npz;
  npz.dataset.name.clear();
  npz.dataset.format = "npz";
  npz.dataset.path = "data/d.npz";
  ASSERT_TRUE(ResolveJobInputs(&npz, false, {root_}, 1 << 20).ok());
  EXPECT_EQ(npz.dataset.path, fs::canonical(root_ + "/data/d.npz").string());
  JobSpec npy;
  npy.dataset.name.clear();
  npy.dataset.format = "npy";
  npy.dataset.train = {"data/x.npy", "data/x.npy"};
  npy.dataset.test = {"data/x.npy", "../outside.onnx"};
  absl::Status st = ResolveJobInputs(&npy, false, {root_}, 1 << 20);
  EXPECT_TRUE(absl::StrContains(st.message(), "dataset.test.y")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "leaves")) << st;
  npy.dataset.test.y = "data/x.npy";
  EXPECT_TRUE(ResolveJobInputs(&npy, false, {root_}, 1 << 20).ok());
  EXPECT_EQ(npy.dataset.test.y, fs::canonical(root_ + "/data/x.npy").string());
  JobSpec uploaded;
  uploaded.dataset.name.clear();
  uploaded.dataset.format = "npz";
  uploaded.dataset.ref = "fm";
  uploaded.dataset.path = "fm.npz";
  EXPECT_TRUE(ResolveJobInputs(&uploaded, false, {}, 1 << 20).ok());
  EXPECT_EQ(uploaded.dataset.path, "fm.npz");
}

}  // namespace
}  // namespace bitsearch
