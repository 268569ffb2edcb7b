// Image folders written by the test with OpenCV: PNG and JPEG, sizes that need resizing and
// cropping, a corrupt file (error naming it, or skipped and counted), grayscale and colour files
// in one folder (converted to the model's channels, counted), and the decoded-tensor cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "search/data/image_folder.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("bitsearch_images_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A 20x24 image of class k: stripes whose direction and period depend on the class.
  static cv::Mat Pattern(int k, int variant, int channels) {
    cv::Mat img(20, 24, channels == 1 ? CV_8UC1 : CV_8UC3);
    for (int y = 0; y < img.rows; ++y) {
      for (int x = 0; x < img.cols; ++x) {
        const int v = ((k == 0 ? y : k == 1 ? x : x + y) / (2 + variant % 2)) % 2 ? 220 : 30;
        if (channels == 1) img.at<uint8_t>(y, x) = static_cast<uint8_t>(v);
        else img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(v), static_cast<uint8_t>(v / 2), 0);
      }
    }
    return img;
  }

  void Write(const std::string& rel, const cv::Mat& img) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    ASSERT_TRUE(cv::imwrite(p.string(), img)) << p;
  }

  // train/{circle,cross,square}: 4 images each (PNG and JPEG), test/: 2 each; all grayscale.
  void WriteFolder(const std::string& test_name = "test") {
    const char* classes[] = {"circle", "cross", "square"};
    for (int k = 0; k < 3; ++k) {
      for (int i = 0; i < 4; ++i) {
        Write(std::string("train/") + classes[k] + "/" + std::to_string(i) + (i % 2 ? ".png" : ".jpg"), Pattern(k, i, 1));
      }
      for (int i = 0; i < 2; ++i) Write(test_name + "/" + classes[k] + "/t" + std::to_string(i) + ".png", Pattern(k, i, 1));
    }
  }

  std::string dir() const { return root_.string(); }
  fs::path root_;
};

TEST_F(ImageFolderTest, DecodesResizesCropsAndLabelsBySortedFolder) {
  WriteFolder();
  std::ofstream(root_ / "train" / "circle" / "README.txt") << "not an image";
  ImageFolderOptions o;
  o.shape = {1, 16, 16};
  o.threads = 2;
  auto raw = ReadImageFolder(dir(), o);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->classes, 3);
  EXPECT_EQ(raw->train.x.sizes().vec(), (std::vector<int64_t>{12, 1, 16, 16}));
  EXPECT_EQ(raw->train.x.scalar_type(), torch::kByte);
  EXPECT_EQ(raw->test.size(), 6);
  EXPECT_TRUE(torch::equal(raw->train.y, torch::tensor({0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, torch::kLong)));
  // Stripes survive: class 0 varies down the rows, class 1 across the columns.
  torch::Tensor c0 = raw->train.x[1][0].to(torch::kFloat), c1 = raw->train.x[5][0].to(torch::kFloat);
  EXPECT_GT(c0.std(0).mean().item<float>(), 5 * c0.std(1).mean().item<float>() + 1);
  EXPECT_GT(c1.std(1).mean().item<float>(), 5 * c1.std(0).mean().item<float>() + 1);
  EXPECT_THAT(raw->notes, Contains(HasSubstr("ignored 1 files that are not PNG or JPEG")));

  // Without a wanted shape: the first training image's (grayscale, 20x24).
  auto native = ReadImageFolder(dir(), ImageFolderOptions{});
  ASSERT_TRUE(native.ok()) << native.status();
  EXPECT_EQ(native->train.x.sizes().vec(), (std::vector<int64_t>{12, 1, 20, 24}));
}

TEST_F(ImageFolderTest, CorruptImageIsNamedOrSkippedAndCounted) {
  WriteFolder("val");  // val/ instead of test/
  std::vector<uchar> png;
  cv::imencode(".png", Pattern(1, 0, 1), png);
  fs::path broken = root_ / "train" / "cross" / "broken.png";
  std::ofstream(broken, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), png.size() / 2);
  ImageFolderOptions o;
  o.shape = {1, 16, 16};
  auto strict = ReadImageFolder(dir(), o);
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(std::string(strict.status().message()), HasSubstr(broken.string() + ": cannot decode"));
  EXPECT_THAT(std::string(strict.status().message()), HasSubstr("dataset.on_corrupt"));
  o.skip_corrupt = true;
  auto lenient = ReadImageFolder(dir(), o);
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  EXPECT_EQ(lenient->train.size(), 12);
  EXPECT_THAT(lenient->notes, Contains(HasSubstr("skipped 1 corrupt images (first: " + broken.string())));
}

TEST_F(ImageFolderTest, GrayAndColourAreConvertedToTheModelsChannels) {
  WriteFolder();
  Write("train/square/colour.png", Pattern(2, 1, 3));
  ImageFolderOptions gray;
  gray.shape = {1, 16, 16};
  auto one = ReadImageFolder(dir(), gray);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_THAT(one->notes, Contains(HasSubstr("train: 1 colour images converted to grayscale")));
  ImageFolderOptions rgb;
  rgb.shape = {3, 16, 16};
  auto three = ReadImageFolder(dir(), rgb);
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->train.x.size(1), 3);
  EXPECT_THAT(three->notes, Contains(HasSubstr("train: 12 grayscale images converted to RGB")));
  EXPECT_THAT(three->notes, Contains(HasSubstr("test: 6 grayscale images converted to RGB")));
  // A converted gray image has equal channels; the colour one (BGR v, v/2, 0 -> RGB 0, v/2, v) not.
  torch::Tensor g = three->train.x[0].to(torch::kInt);
  EXPECT_TRUE(torch::equal(g[0], g[1]) && torch::equal(g[1], g[2]));
  torch::Tensor c = three->train.x[12].to(torch::kInt);  // square/colour.png sorts last
  EXPECT_EQ(c[0].max().item<int>(), 0);
  EXPECT_GT(c[2].max().item<int>(), 200);
}

TEST_F(ImageFolderTest, SecondReadComesFromTheCacheUntilAFileChanges) {
  WriteFolder();
  ImageFolderOptions o;
  o.shape = {1, 16, 16};
  o.cache_dir = (root_ / "cache").string();
  auto first = ReadImageFolder(dir(), o);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->notes, Not(Contains(HasSubstr("from the cache"))));
  auto second = ReadImageFolder(dir(), o);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->notes, Contains(HasSubstr("decoded images read from the cache")));
  EXPECT_TRUE(torch::equal(first->train.x, second->train.x));
  EXPECT_TRUE(torch::equal(first->test.y, second->test.y));
  // A rewritten image (new size and time) is a different folder: decoded again.
  Write("train/circle/0.jpg", Pattern(1, 0, 1));
  auto third = ReadImageFolder(dir(), o);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_THAT(third->notes, Not(Contains(HasSubstr("from the cache"))));
}

TEST_F(ImageFolderTest, LayoutProblemsAreClear) {
  auto missing = ReadImageFolder(dir(), ImageFolderOptions{});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("no such folder"));
  Write("train/a/0.png", Pattern(0, 0, 1));
  auto no_test = ReadImageFolder(dir(), ImageFolderOptions{});
  ASSERT_FALSE(no_test.ok());
  EXPECT_THAT(std::string(no_test.status().message()), HasSubstr("no test/ or val/ subfolder"));
  Write("test/zebra/0.png", Pattern(0, 0, 1));
  auto unknown = ReadImageFolder(dir(), ImageFolderOptions{});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("class \"zebra\" has no folder in train/"));
}

}  // namespace
}  // namespace bitsearch
