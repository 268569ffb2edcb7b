// The manifest of an uploaded data set: equal content gives one digest wherever it is hashed,
// any change of content or layout gives another, and manifests that could escape their folder
// or misstate their chunks are refused.
#include "search/dataset_manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace bitsearch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DatasetManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "bitsearch-manifest-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& bytes) {
    fs::create_directories(fs::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel, std::ios::binary) << bytes;
  }
  std::string dir_;
};

TEST_F(DatasetManifestTest, DigestFollowsContentNotLocation) {
  Write("a/train/0/x.png", std::string(kDatasetChunkBytes + 10, 'p'));
  Write("a/test/0/y.png", "tiny");
  Write("b/test/0/y.png", "tiny");
  Write("b/train/0/x.png", std::string(kDatasetChunkBytes + 10, 'p'));
  std::vector<LocalChunk> chunks;
  auto a = BuildManifest(dir_ + "/a", &chunks);
  auto b = BuildManifest(dir_ + "/b", nullptr);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->files[0].path, "test/0/y.png");  // sorted
  EXPECT_EQ(a->files[1].chunks.size(), 2u);
  EXPECT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[2].offset, kDatasetChunkBytes);
  EXPECT_EQ(ManifestDigest(*a), ManifestDigest(*b));
  EXPECT_TRUE(ManifestDigest(*a).rfind("sha256:", 0) == 0);
  Write("b/test/0/y.png", "tinY");
  EXPECT_NE(ManifestDigest(*BuildManifest(dir_ + "/b", nullptr)), ManifestDigest(*a));

  auto single = BuildManifest(dir_ + "/a/test/0/y.png", nullptr);
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->single_file);
  EXPECT_EQ(single->files[0].path, "y.png");
  EXPECT_THAT(std::string(BuildManifest(dir_ + "/missing", nullptr).status().message()), HasSubstr("no such file"));
}

TEST_F(DatasetManifestTest, UnsafeOrInconsistentManifestsAreRefused) {
  Write("d/x.bin", "abc");
  auto m = BuildManifest(dir_ + "/d", nullptr);
  ASSERT_TRUE(m.ok());
  for (const char* bad : {"../x.bin", "/etc/passwd", "a//b", "./x"}) {
    DatasetManifest copy = *m;
    copy.files[0].path = bad;
    EXPECT_FALSE(ValidateManifest(copy).ok()) << bad;
  }
  DatasetManifest extra = *m;
  extra.files[0].chunks.push_back(extra.files[0].chunks[0]);
  EXPECT_THAT(std::string(ValidateManifest(extra).message()), HasSubstr("need 1 chunks"));
  EXPECT_TRUE(ValidateDatasetName("fashion-mnist_v2.1").ok());
  EXPECT_FALSE(ValidateDatasetName(".hidden").ok());
  EXPECT_FALSE(ValidateDatasetName("a/b").ok());
}

}  // namespace
}  // namespace bitsearch
