// NumPy files as numpy writes them (testdata/make_testdata.py): .npy dtypes and orders, .npz stored
// and deflated, and the npy/npz data set formats' validation, each error naming file and array.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "search/data/array_reader.h"
#include "search/data/npy.h"
#include "search/data/zip_archive.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Data(const std::string& name) { return std::string(BITSEARCH_DATA_TESTDATA) + "/" + name; }

torch::Tensor Pattern(std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return torch::arange(n, torch::kLong).remainder(251).reshape(shape);
}

std::string Message(const absl::Status& st) { return std::string(st.message()); }

TEST(NpyTest, ReadsNumpyDtypesAndOrders) {
  auto u8 = ReadNpyFile(Data("u8_nhwc.npy"));
  ASSERT_TRUE(u8.ok()) << u8.status();
  EXPECT_EQ(u8->descr, "|u1");
  EXPECT_EQ(u8->data.scalar_type(), torch::kByte);
  EXPECT_TRUE(torch::equal(u8->data.to(torch::kLong), Pattern({4, 5, 6, 3})));

  auto f16 = ReadNpyFile(Data("f16_nchw.npy"));
  ASSERT_TRUE(f16.ok()) << f16.status();
  EXPECT_TRUE(torch::allclose(f16->data.to(torch::kFloat), Pattern({2, 1, 3, 3}).to(torch::kFloat) / 8));

  // Fortran order: the reader returns the same logical array in C order.
  auto fortran = ReadNpyFile(Data("f32_fortran.npy"));
  ASSERT_TRUE(fortran.ok()) << fortran.status();
  EXPECT_TRUE(fortran->data.is_contiguous());
  EXPECT_TRUE(torch::equal(fortran->data, Pattern({2, 3, 4, 5}).to(torch::kFloat)));

  auto u2 = ReadNpyFile(Data("labels_u2.npy"));
  ASSERT_TRUE(u2.ok()) << u2.status();
  EXPECT_EQ(u2->data[3].item<int64_t>(), 65535);
}

TEST(NpyTest, WriterRoundTripsThroughTheReader) {
  const std::string path = (fs::temp_directory_path() / ("npy_rt_" + std::to_string(::getpid()) + ".npy")).string();
  torch::Tensor x = torch::rand({3, 2, 5});
  ASSERT_TRUE(WriteNpyFile(path, x).ok());
  auto back = ReadNpyFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(torch::equal(back->data, x));
  fs::remove(path);
}

TEST(NpyTest, TruncatedAndForeignFilesAreClearErrors) {
  std::ifstream in(Data("u8_nhwc.npy"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto cut = ParseNpy(bytes.substr(0, bytes.size() - 7), "cut.npy");
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(Message(cut.status()), HasSubstr("cut.npy: header says shape (4, 5, 6, 3) of uint8"));
  EXPECT_THAT(Message(cut.status()), HasSubstr("truncated"));
  auto foreign = ParseNpy("PK\x03\x04 not numpy", "foreign.npy");
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(Message(foreign.status()), HasSubstr("foreign.npy: not a .npy file"));
  auto big_endian = ParseNpy(std::string("\x93NUMPY\x01\x00", 8) + std::string("\x46\x00", 2) +
                                 "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }" + std::string(12, ' ') + "\n" +
                                 std::string(4, '\0'),
                             "be.npy");
  ASSERT_FALSE(big_endian.ok());
  EXPECT_THAT(Message(big_endian.status()), HasSubstr("big-endian"));
}

TEST(NpzTest, ReadsStoredAndDeflatedArchives) {
  for (const char* name : {"stored.npz", "deflated.npz"}) {
    auto zip = ZipArchive::Open(Data(name));
    ASSERT_TRUE(zip.ok()) << zip.status();
    EXPECT_EQ((*zip)->Names(), (std::vector<std::string>{"x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy"}));
    auto bytes = (*zip)->Read("x_train.npy");
    ASSERT_TRUE(bytes.ok()) << name << ": " << bytes.status();
    auto x = ParseNpy(*bytes, name);
    ASSERT_TRUE(x.ok()) << x.status();
    EXPECT_TRUE(torch::equal(x->data.to(torch::kLong), Pattern({6, 5, 5}))) << name;
  }
}

TEST(NpzTest, CorruptArchiveIsCaughtByItsChecksum) {
  std::ifstream in(Data("stored.npz"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = bytes.find("x_train.npy") + 11 + 20 + 140;  // inside the stored array data
  bytes[at] = static_cast<char>(bytes[at] ^ 0x55);
  const std::string path = (fs::temp_directory_path() / ("bad_" + std::to_string(::getpid()) + ".npz")).string();
  std::ofstream(path, std::ios::binary) << bytes;
  auto zip = ZipArchive::Open(path);
  ASSERT_TRUE(zip.ok()) << zip.status();
  auto x = (*zip)->Read("x_train.npy");
  ASSERT_FALSE(x.ok());
  EXPECT_THAT(Message(x.status()), HasSubstr("x_train.npy: CRC-32 mismatch"));
  fs::remove(path);
}

DatasetSpec NpySpec(const std::string& x, const std::string& y, const std::string& layout = "NCHW") {
  DatasetSpec spec;
  spec.name.clear();
  spec.format = "npy";
  spec.layout = layout;
  spec.train = {Data(x), Data(y)};
  spec.test = {Data(x), Data(y)};
  return spec;
}

TEST(ArrayDatasetTest, NhwcNpyBecomesNchw) {
  auto raw = ReadArrayDataset(NpySpec("u8_nhwc.npy", "labels_i4.npy", "NHWC"));
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->train.x.sizes().vec(), (std::vector<int64_t>{4, 3, 5, 6}));
  EXPECT_TRUE(torch::equal(raw->train.x.to(torch::kLong), Pattern({4, 5, 6, 3}).permute({0, 3, 1, 2})));
  EXPECT_EQ(raw->classes, 4);
  // 3-d float64 x: one channel, converted to float32.
  auto nhw = ReadArrayDataset(NpySpec("f64_nhw.npy", "labels_3.npy"));
  ASSERT_TRUE(nhw.ok()) << nhw.status();
  EXPECT_EQ(nhw->train.x.scalar_type(), torch::kFloat);
  EXPECT_EQ(nhw->train.x.sizes().vec(), (std::vector<int64_t>{3, 1, 4, 4}));
  auto mismatch = ReadArrayDataset(NpySpec("f64_nhw.npy", "labels_i4.npy"));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(Message(mismatch.status()), HasSubstr("dataset.train: x has 3 samples"));
  EXPECT_THAT(Message(mismatch.status()), HasSubstr("f64_nhw.npy"));
  EXPECT_THAT(Message(mismatch.status()), HasSubstr("y has 4 labels"));
}

TEST(ArrayDatasetTest, NpzByNameWithDefaults) {
  DatasetSpec spec;
  spec.name.clear();
  spec.format = "npz";
  spec.path = Data("deflated.npz");
  spec.train = {"x_train", "y_train"};
  spec.test = {"x_test", "y_test"};
  auto raw = ReadArrayDataset(spec);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->train.x.sizes().vec(), (std::vector<int64_t>{6, 1, 5, 5}));
  EXPECT_EQ(raw->test.size(), 2);
  EXPECT_EQ(raw->classes, 3);
  spec.train.x = "images";
  auto missing = ReadArrayDataset(spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(Message(missing.status()), HasSubstr("has no array \"images\"; it holds: x_train, y_train, x_test, y_test"));
}

TEST(ArrayDatasetTest, BadArraysNameFileAndArray) {
  struct Case {
    const char* x;
    const char* y;
    const char* expect;
  } cases[] = {
      {"u8_nhwc.npy", "labels_neg.npy", "labels_neg.npy): class ids must be 0 or more; sample 2 has -1"},
      {"u8_nhwc.npy", "labels_float.npy", "labels must be integer class ids, got float32"},
      {"u8_nhwc.npy", "labels_onehot.npy", "one-hot? save y.argmax(1)"},
      {"x_int32.npy", "labels_i4.npy", "x_int32.npy): samples must be uint8, float16 or float32, got int32"},
      {"labels_float.npy", "labels_i4.npy", "expected 4 dimensions (NCHW) or 3 (N, H, W), got shape (4)"},
      {"missing.npy", "labels_i4.npy", "dataset.train.x: "},
  };
  for (const Case& c : cases) {
    auto raw = ReadArrayDataset(NpySpec(c.x, c.y));
    ASSERT_FALSE(raw.ok()) << c.x << " " << c.y;
    EXPECT_THAT(Message(raw.status()), HasSubstr(c.expect));
  }
}

}  // namespace
}  // namespace bitsearch
