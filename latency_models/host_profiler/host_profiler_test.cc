#include "latency_models/host_profiler/host_profiler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>

#include "base/atomic_file.h"
#include "latency_models/host_profiler/sub_byte.h"
#include "latency_models/measured_csv.h"
#include "latency_models/profile_registry.h"

namespace bitsearch {
namespace {

using ::testing::HasSubstr;

LayerSignature Conv(int64_t groups, int64_t cin, int64_t cout, int64_t hw, int64_t k,
                    int64_t stride, int64_t pad) {
  LayerSignature s;
  s.type = "conv";
  s.groups = groups;
  s.kernel_h = s.kernel_w = k;
  s.stride = stride;
  s.padding = pad;
  s.in_h = s.in_w = hw;
  s.out_h = s.out_w = (hw + 2 * pad - k) / stride + 1;
  s.in_channels = cin;
  s.out_channels = cout;
  return s;
}

HostProfilerOptions FastOptions() {
  HostProfilerOptions o;
  o.warmup = 1;
  o.repeats = 3;
  o.min_sample_seconds = 0;
  return o;
}

TEST(SubByteTest, SignedRoundTripEveryValueAndOddLengths) {
  std::mt19937 rng(7);
  for (int bits : {2, 4}) {
    const int lo = -(1 << (bits - 1));
    const int hi = (1 << (bits - 1)) - 1;
    for (int64_t n : {1, 2, 3, 5, 8, 33, 1000}) {
      std::uniform_int_distribution<int> dist(lo, hi);
      std::vector<int8_t> values(n);
      for (int64_t i = 0; i < n; ++i) values[i] = static_cast<int8_t>(i < hi - lo + 1 ? lo + i : dist(rng));
      std::vector<uint8_t> packed = PackSigned(values.data(), n, bits);
      ASSERT_EQ(static_cast<int64_t>(packed.size()), PackedBytes(n, bits));
      std::vector<int8_t> back(n, 99);
      UnpackSigned(packed.data(), n, bits, back.data());
      EXPECT_EQ(back, values) << "bits " << bits << " n " << n;
    }
  }
}

TEST(SubByteTest, UnsignedRoundTripAndLayout) {
  for (int bits : {2, 4}) {
    const int n = 37;
    std::vector<uint8_t> values(n);
    for (int i = 0; i < n; ++i) values[i] = static_cast<uint8_t>(i % (1 << bits));
    std::vector<uint8_t> packed = PackUnsigned(values.data(), n, bits);
    std::vector<uint8_t> back(n, 99);
    UnpackUnsigned(packed.data(), n, bits, back.data());
    EXPECT_EQ(back, values);
  }
  // Low bits first: 4-bit values 1, 2 pack into 0x21; 2-bit values 1, 2, 3, 0 into 0b00111001.
  const uint8_t four[2] = {1, 2};
  EXPECT_EQ(PackUnsigned(four, 2, 4), std::vector<uint8_t>({0x21}));
  const uint8_t two[4] = {1, 2, 3, 0};
  EXPECT_EQ(PackUnsigned(two, 4, 2), std::vector<uint8_t>({0x39}));
  const int8_t neg[2] = {-1, -8};
  EXPECT_EQ(PackSigned(neg, 2, 4), std::vector<uint8_t>({0x8F}));
}

TEST(HostProfilerTest, MeasuresEverySignatureAndPair) {
  const std::vector<LayerSignature> sigs = {
      Conv(1, 3, 8, 12, 3, 1, 1),   // plain conv
      Conv(8, 8, 8, 10, 3, 2, 1),   // depthwise, strided
      Conv(2, 8, 4, 6, 1, 1, 0),    // grouped 1x1
      LayerSignature::Linear(40, 10),
      LayerSignature::Linear(40, 10),  // a duplicate merges
  };
  HostProfilerOptions o = FastOptions();
  absl::StatusOr<HostMeasurement> m = MeasureSignatures(sigs, o);
  ASSERT_TRUE(m.ok()) << m.status();
  const auto pairs = HostDefaultBitPairs();
  ASSERT_EQ(pairs.size(), 25u);
  ASSERT_EQ(m->rows.size(), 4 * pairs.size());
  std::set<std::tuple<std::string, int, int>> seen;
  for (const MeasuredRow& r : m->rows) {
    EXPECT_TRUE(std::isfinite(r.row.latency)) << r.kernel;
    EXPECT_GT(r.row.latency, 0.0) << r.kernel;
    EXPECT_LE(r.min_seconds, r.row.latency);
    seen.insert({r.row.signature.Key(), r.row.act_bits, r.row.weight_bits});
  }
  EXPECT_EQ(seen.size(), m->rows.size());
  EXPECT_FALSE(m->qengine.empty());
  EXPECT_THAT(m->host, HasSubstr("LibTorch"));
}

TEST(HostProfilerTest, KernelsFollowTheBitPair) {
  HostProfilerOptions o = FastOptions();
  o.bit_pairs = {{8, 8}, {8, 4}, {2, 8}, {4, 2}, {32, 32}, {16, 16}, {32, 4}};
  absl::StatusOr<HostMeasurement> m =
      MeasureSignatures({Conv(1, 4, 8, 8, 3, 1, 0), LayerSignature::Linear(16, 8)}, o);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->rows.size(), 14u);
  const std::vector<std::string> engines = AvailableQuantizedEngines();
  EXPECT_THAT(engines, ::testing::Contains(m->qengine));
  for (const MeasuredRow& r : m->rows) {
    const std::string op = r.row.signature.type == "conv" ? "conv2d" : "linear";
    const int a = r.row.act_bits, w = r.row.weight_bits;
    SCOPED_TRACE(r.kernel);
    if (a <= 8 && w <= 8) {
      EXPECT_THAT(r.kernel, HasSubstr("int8 quantized::" + op + " [" + m->qengine + "]"));
      EXPECT_EQ(r.kernel.find("unpack w") != std::string::npos, w < 8);
      EXPECT_EQ(r.kernel.find("unpack a") != std::string::npos, a < 8);
    } else if (a == 32 && w == 32) {
      EXPECT_EQ(r.kernel, "fp32 torch::" + op);
    } else if (a == 32 && w == 4) {
      EXPECT_EQ(r.kernel, "fp32 torch::" + op + " + convert w4->fp32");
    } else {
      EXPECT_TRUE(r.kernel == "bf16 torch::" + op ||
                  r.kernel == "fp32 torch::" + op + " + convert a16->fp32,w16->fp32");
    }
  }
}

TEST(HostProfilerTest, EveryAvailableEngineRunsInt8) {
  for (const std::string& engine : AvailableQuantizedEngines()) {
    HostProfilerOptions o = FastOptions();
    o.qengine = engine;
    o.bit_pairs = {{8, 8}, {4, 2}};
    absl::StatusOr<HostMeasurement> m =
        MeasureSignatures({Conv(4, 4, 4, 6, 3, 1, 1), LayerSignature::Linear(8, 4)}, o);
    ASSERT_TRUE(m.ok()) << engine << ": " << m.status();
    EXPECT_EQ(m->qengine, engine);
    for (const MeasuredRow& r : m->rows) EXPECT_THAT(r.kernel, HasSubstr("[" + engine + "]"));
  }
}

TEST(HostProfilerTest, RejectsBadInput) {
  HostProfilerOptions o = FastOptions();
  o.bit_pairs = {{3, 8}};
  EXPECT_THAT(std::string(MeasureSignatures({LayerSignature::Linear(4, 4)}, o).status().message()),
              HasSubstr("2, 4, 8, 16 and 32"));
  o = FastOptions();
  o.qengine = "no-such-engine";
  EXPECT_THAT(std::string(MeasureSignatures({LayerSignature::Linear(4, 4)}, o).status().message()),
              HasSubstr("not in this LibTorch build"));
  LayerSignature bad = Conv(3, 4, 4, 6, 3, 1, 1);  // 4 channels in 3 groups
  EXPECT_FALSE(MeasureSignatures({bad}, FastOptions()).ok());
  EXPECT_FALSE(MeasureSignatures({}, FastOptions()).ok());
}

TEST(HostProfilerTest, CsvImportsBackAsAProfile) {
  HostProfilerOptions o = FastOptions();
  absl::StatusOr<HostMeasurement> m =
      MeasureSignatures({Conv(1, 1, 6, 12, 5, 1, 0), LayerSignature::Linear(24, 10)}, o);
  ASSERT_TRUE(m.ok()) << m.status();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("host_profiler_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string csv = (dir / "host.csv").string();
  ASSERT_TRUE(WriteFileAtomically(csv, RowsToCsv(LatencyRows(*m))).ok());
  absl::StatusOr<ProfileInfo> info =
      ImportMeasuredCsv(csv, "host-test", (dir / "profiles").string(), ImportOptions{});
  ASSERT_TRUE(info.ok()) << info.status();
  absl::StatusOr<std::unique_ptr<LatencyModel>> model =
      LoadProfile("host-test", (dir / "profiles").string());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->unit(), "seconds");
  for (const MeasuredRow& r : m->rows) {
    absl::StatusOr<double> lat =
        (*model)->Latency(r.row.signature, r.row.act_bits, r.row.weight_bits);
    ASSERT_TRUE(lat.ok()) << lat.status();
    EXPECT_DOUBLE_EQ(*lat, r.row.latency);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bitsearch
