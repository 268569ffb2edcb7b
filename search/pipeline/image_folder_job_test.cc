// Acceptance of the image-folder format through a whole job: Fashion-MNIST samples written as PNG
// and JPEG files by the test, plus one corrupt file and one colour image among grayscale ones.
// With on_corrupt "error" the job stops before training and names the file; with "skip" it counts
// it, converts the colour image to the model's one channel, and learns (well above chance).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "search/data/idx_reader.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PhaseRecorder : public JobObserver {
 public:
  void OnPhaseStart(const std::string& phase, int64_t) override { phases.push_back(phase); }
  std::vector<std::string> phases;
};

void WriteSplit(const fs::path& root, const std::string& split, const torch::Tensor& images,
                const torch::Tensor& labels, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    cv::Mat img(28, 28, CV_8UC1, images[i][0].contiguous().data_ptr<uint8_t>());
    fs::path dir = root / split / ("class" + std::to_string(labels[i].item<int64_t>()));
    fs::create_directories(dir);
    // Every third file a JPEG (lossy, like most photo folders), the rest PNG.
    ASSERT_TRUE(cv::imwrite((dir / (std::to_string(i) + (i % 3 == 0 ? ".jpg" : ".png"))).string(), img));
  }
}

TEST(ImageFolderJob, CorruptAndColourFilesAreHandledAndTheJobLearns) {
  const fs::path root = fs::temp_directory_path() / ("bitsearch_folder_job_" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto train = ReadIdxImages(FashionMnistDir() + "/train-images-idx3-ubyte.gz");
  auto train_labels = ReadIdxLabels(FashionMnistDir() + "/train-labels-idx1-ubyte.gz");
  auto test = ReadIdxImages(FashionMnistDir() + "/t10k-images-idx3-ubyte.gz");
  auto test_labels = ReadIdxLabels(FashionMnistDir() + "/t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(train.ok() && train_labels.ok() && test.ok() && test_labels.ok());
  WriteSplit(root, "train", *train, *train_labels, 2000);
  WriteSplit(root, "test", *test, *test_labels, 500);
  const fs::path corrupt = root / "train" / "class3" / "corrupt.png";
  std::ofstream(corrupt, std::ios::binary) << "\x89PNG\r\n\x1a\n this file was cut off";
  cv::Mat colour(28, 28, CV_8UC3, cv::Scalar(40, 90, 200));
  ASSERT_TRUE(cv::imwrite((root / "train" / "class5" / "colour.png").string(), colour));

  nlohmann::json j = {{"name", "folder-job"},
                      {"model", "lenet5"},
                      {"dataset", {{"format", "image-folder"}, {"path", root.string()}}},
                      {"pretrain", {{"epochs", 3}}},
                      {"search", {{"epochs", 1}, {"batch_size", 64}}},
                      {"finetune", {{"epochs", 1}}},
                      {"baselines", nlohmann::json::array()}};
  RunOptions options;
  options.threads = kTestThreads;
  PhaseRecorder strict_phases;
  auto strict = RunJob(*ParseJobSpec(j), options, &strict_phases, nullptr);
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(std::string(strict.status().message()), HasSubstr(corrupt.string() + ": cannot decode"));
  EXPECT_TRUE(strict_phases.phases.empty());

  j["dataset"]["on_corrupt"] = "skip";
  auto spec = ParseJobSpec(j);
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto result = RunJob(*spec, options, nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& data = (*result)["data"];
  std::cout << "image folder: " << data.dump() << "\naccuracy: " << (*result)["accuracy"].dump() << "\n";
  EXPECT_EQ(data["classes"], 10);
  EXPECT_EQ(data["input_shape"], nlohmann::json({1, 28, 28}));
  EXPECT_EQ(data["train"].get<int64_t>() + data["validation"].get<int64_t>(), 2001);  // corrupt file skipped
  EXPECT_EQ(data["test"], 500);
  const std::string notes = data["notes"].dump();
  EXPECT_THAT(notes, HasSubstr("skipped 1 corrupt images (first: " + corrupt.string()));
  EXPECT_THAT(notes, HasSubstr("train: 1 colour images converted to grayscale"));
  EXPECT_GT((*result)["accuracy"]["fp32"].get<double>(), 50.0);   // chance is 10%
  EXPECT_GT((*result)["accuracy"]["final"].get<double>(), 50.0);
  fs::remove_all(root);
}

}  // namespace
}  // namespace bitsearch
