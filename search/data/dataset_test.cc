// Data sets: the Debian Fashion-MNIST files, malformed files, synthetic data, splits.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "search/data/cifar_reader.h"
#include "search/data/dataset.h"
#include "search/data/npy.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("bitsearch_data_test_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(DataTest, ReadsTheDebianFashionMnist) {
  DatasetSpec spec;
  spec.train_limit = 1000;
  spec.test_limit = 200;
  auto ds = LoadDataset(spec, 1);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->train.size(), 900);
  EXPECT_EQ(ds->validation.size(), 100);
  EXPECT_EQ(ds->test.size(), 200);
  EXPECT_EQ(ds->input_shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(ds->classes, 10);
  // "auto" (the default): normalised with the training split's statistics, which are recorded.
  EXPECT_NEAR(ds->train.x.mean().item<float>(), 0.0f, 1e-3);
  EXPECT_NEAR(ds->train.x.std().item<float>(), 1.0f, 1e-2);
  EXPECT_EQ(ds->preprocessing.source, "auto");
  ASSERT_EQ(ds->preprocessing.mean.size(), 1u);
  EXPECT_NEAR(ds->preprocessing.mean[0], 72.9, 3.0);  // Fashion-MNIST pixel mean, 0..255
  // The raw test samples stay as the files hold them, and the contract maps them to the inputs.
  EXPECT_EQ(ds->test_raw_x.scalar_type(), torch::kByte);
  EXPECT_TRUE(torch::equal(ds->preprocessing.Apply(ds->test_raw_x), ds->test.x));
}

TEST(DataTest, ExplicitPreprocessingIsAppliedAsGiven) {
  DatasetSpec spec;
  spec.train_limit = 300;
  spec.test_limit = 50;
  spec.preprocess.given = true;
  spec.preprocess.automatic = false;
  spec.preprocess.scale = 1.0 / 255;
  auto ds = LoadDataset(spec, 1);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->preprocessing.source, "spec");
  EXPECT_GE(ds->train.x.min().item<float>(), 0.0f);
  EXPECT_LE(ds->train.x.max().item<float>(), 1.0f);
  EXPECT_GT(ds->train.x.max().item<float>(), 0.9f);
  EXPECT_TRUE(torch::allclose(ds->test.x, ds->test_raw_x.to(torch::kFloat) / 255, 1e-6, 1e-6));
  spec.preprocess.mean = {0.1, 0.2};  // two values for a one-channel data set
  auto bad = LoadDataset(spec, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("dataset.preprocess.mean: has 2 values but the samples have 1 channels"),
            std::string::npos);
}

TEST(DataTest, SameSeedSameSplitOtherSeedOtherOrder) {
  DatasetSpec spec;
  spec.train_limit = 500;
  spec.test_limit = 10;
  auto a = LoadDataset(spec, 7), b = LoadDataset(spec, 7), c = LoadDataset(spec, 8);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(torch::equal(a->train.y, b->train.y));
  EXPECT_FALSE(torch::equal(a->train.y, c->train.y));
}

TEST(DataTest, CorruptAndMissingFilesNameThePath) {
  TempDir dir;
  WriteBytes(dir.File("bad-images"), std::string("\x00\x00\x08\x01rest", 8));
  auto images = ReadIdxImages(dir.File("bad-images"));
  ASSERT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find(dir.File("bad-images")), std::string::npos);
  EXPECT_NE(images.status().message().find("bad magic"), std::string::npos);

  // A header promising more images than the file holds.
  std::string header("\x00\x00\x08\x03\x00\x00\x00\x05\x00\x00\x00\x02\x00\x00\x00\x02", 16);
  WriteBytes(dir.File("short-images"), header + "abc");
  auto short_images = ReadIdxImages(dir.File("short-images"));
  ASSERT_FALSE(short_images.ok());
  EXPECT_NE(short_images.status().message().find("header says 5 images"), std::string::npos);

  // A truncated gzip stream.
  std::string gz = dir.File("trunc.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  std::string payload(100000, 'x');
  gzwrite(f, payload.data(), payload.size());
  gzclose(f);
  fs::resize_file(gz, fs::file_size(gz) / 2);
  auto trunc = ReadIdxLabels(gz);
  ASSERT_FALSE(trunc.ok());
  EXPECT_NE(trunc.status().message().find(gz), std::string::npos);

  DatasetSpec spec;
  spec.name.clear();
  spec.format = "idx";
  spec.path = dir.File("nowhere");
  auto missing = LoadDataset(spec, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nowhere"), std::string::npos);
}

TEST(DataTest, ReadsCifar10BinaryBatches) {
  TempDir dir;
  std::string batch;
  for (int i = 0; i < 4; ++i) {
    batch.push_back(static_cast<char>(i % 10));
    batch.append(3072, static_cast<char>(i * 10));
  }
  for (int i = 1; i <= 5; ++i) WriteBytes(dir.File("data_batch_" + std::to_string(i) + ".bin"), batch);
  WriteBytes(dir.File("test_batch.bin"), batch);
  DatasetSpec spec;
  spec.name.clear();
  spec.format = "cifar10-bin";
  spec.path = dir.path();
  spec.validation_fraction = 0.25;
  auto ds = LoadDataset(spec, 1);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->input_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(ds->train.size() + ds->validation.size(), 20);
  EXPECT_EQ(ds->test.size(), 4);
  WriteBytes(dir.File("test_batch.bin"), batch.substr(0, 100));
  auto bad = LoadDataset(spec, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("test_batch.bin"), std::string::npos);
}

TEST(DataTest, SyntheticTakesTheRequestedShapeAndIsSeeded) {
  DatasetSpec spec;
  spec.name = "synthetic";
  spec.synthetic_train = 300;
  spec.synthetic_test = 50;
  LoadOptions options;
  options.model_input_shape = {3, 32, 32};
  auto a = LoadDataset(spec, 3, options);
  auto b = LoadDataset(spec, 3, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->input_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_TRUE(torch::equal(a->train.x, b->train.x));
}

TEST(DataTest, CalibrationSamplesComeFromTheirOwnFileWhenGiven) {
  TempDir dir;
  DatasetSpec spec;
  spec.name = "synthetic";
  spec.synthetic_train = 200;
  spec.synthetic_test = 50;
  auto plain = LoadDataset(spec, 1);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->calibration.defined());
  EXPECT_TRUE(torch::equal(CalibrationSamples(*plain, 16), plain->train.x.slice(0, 0, 16)));
  EXPECT_EQ(CalibrationSamples(*plain, 1'000'000).size(0), plain->train.size());

  const torch::Tensor raw = torch::rand({12, 1, 28, 28}) * 4 - 2;
  ASSERT_TRUE(WriteNpyFile(dir.File("calib.npy"), raw).ok());
  spec.calibration = dir.File("calib.npy");
  auto given = LoadDataset(spec, 1);
  ASSERT_TRUE(given.ok()) << given.status();
  ASSERT_TRUE(given->calibration.defined());
  // Preprocessed exactly as the training split is (its statistics, not the calibration file's).
  EXPECT_TRUE(torch::allclose(given->calibration, given->preprocessing.Apply(raw)));
  EXPECT_TRUE(torch::equal(given->train.x, plain->train.x));
  EXPECT_EQ(CalibrationSamples(*given, 1024).size(0), 12);
  EXPECT_TRUE(torch::equal(CalibrationSamples(*given, 5), given->calibration.slice(0, 0, 5)));
  bool noted = false;
  for (const std::string& n : given->notes) noted = noted || n.find("calibration: 12 samples") == 0;
  EXPECT_TRUE(noted);
  // One channel may come without its axis, as for the data set's own arrays.
  ASSERT_TRUE(WriteNpyFile(dir.File("calib3d.npy"), torch::rand({7, 28, 28})).ok());
  spec.calibration = dir.File("calib3d.npy");
  auto three_d = LoadDataset(spec, 1);
  ASSERT_TRUE(three_d.ok()) << three_d.status();
  EXPECT_EQ(three_d->calibration.sizes(), (std::vector<int64_t>{7, 1, 28, 28}));

  ASSERT_TRUE(WriteNpyFile(dir.File("rgb.npy"), torch::rand({4, 3, 28, 28})).ok());
  spec.calibration = dir.File("rgb.npy");
  auto wrong = LoadDataset(spec, 1);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("dataset.calibration (" + dir.File("rgb.npy") +
                                          "): samples are 3x28x28"),
            std::string::npos) << wrong.status();
  EXPECT_NE(wrong.status().message().find("the data set's are 1x28x28"), std::string::npos);
  spec.calibration = dir.File("missing.npy");
  auto missing = LoadDataset(spec, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("dataset.calibration: "), std::string::npos)
      << missing.status();
  EXPECT_NE(missing.status().message().find("missing.npy"), std::string::npos);
}

}  // namespace
}  // namespace bitsearch
