#include <cmath>

#include <gtest/gtest.h>

#include "latency_models/analytic_model.h"
#include "latency_models/bops_model.h"
#include "latency_models/latency_model.h"
#include "latency_models/lookup_table_model.h"
#include "latency_models/profile_registry.h"
#include "latency_models/test_layers.h"

namespace bitsearch {
namespace {

double Lat(const LatencyModel& m, const LayerSignature& s, int a, int w) {
  absl::StatusOr<double> v = m.Latency(s, a, w);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : -1.0;
}

TEST(BopsModelTest, MacsTimesBits) {
  BopsModel m;
  const LayerSignature s = TestConv(16, 32, 3, 8);
  EXPECT_DOUBLE_EQ(Lat(m, s, 4, 2), s.Macs() * 8.0);
  EXPECT_EQ(m.unit(), "bops");
  EXPECT_FALSE(m.Latency(s, 0, 8).ok());
}

TEST(AnalyticModelTest, ComputeMemoryOverheadAndDepthwise) {
  AnalyticParams p;
  p.name = "t";
  p.macs_per_cycle[{8, 8}] = 4.0;
  p.macs_per_cycle[{8, 4}] = 8.0;
  p.per_layer_overhead = 100;
  p.bytes_per_cycle = 2.0;
  p.depthwise_efficiency = 0.5;
  absl::StatusOr<std::unique_ptr<AnalyticModel>> m = AnalyticModel::Create(p);
  ASSERT_TRUE(m.ok()) << m.status();
  const LayerSignature s = LayerSignature::Linear(64, 32);
  // compute 2048/4 = 512; memory (2048 w + 64 in + 32 out) bytes / 2 = 1072.
  EXPECT_DOUBLE_EQ(Lat(**m, s, 8, 8), 100 + 512 + 1072);
  // 4-bit weights: compute 256, memory (1024 + 64 + 32) / 2 = 560.
  EXPECT_DOUBLE_EQ(Lat(**m, s, 8, 4), 100 + 256 + 560);
  p.overlap_memory = true;
  m = AnalyticModel::Create(p);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(Lat(**m, s, 8, 8), 100 + 1072);
  // Depthwise layers run at half the rate.
  p.bytes_per_cycle = 0;
  m = AnalyticModel::Create(p);
  ASSERT_TRUE(m.ok());
  const LayerSignature dw = TestConv(8, 8, 3, 4, 8);
  EXPECT_DOUBLE_EQ(Lat(**m, dw, 8, 8), 100 + dw.Macs() / 2.0);
  absl::StatusOr<double> missing = (*m)->Latency(s, 2, 2);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_NE(missing.status().message().find("a2/w2"), std::string::npos);
}

TEST(AnalyticModelTest, RejectsBadParameters) {
  AnalyticParams p;
  EXPECT_FALSE(AnalyticModel::Create(p).ok());
  p.macs_per_cycle[{8, 8}] = -1;
  EXPECT_FALSE(AnalyticModel::Create(p).ok());
  p.macs_per_cycle[{8, 8}] = 1;
  p.depthwise_efficiency = 1.5;
  EXPECT_FALSE(AnalyticModel::Create(p).ok());
}

TEST(LookupTableModelTest, ExactHitsMissesAndFallback) {
  const LayerSignature a = TestConv(8, 16, 3, 8);
  const LayerSignature b = TestConv(8, 16, 3, 16);  // 4x the MACs of a
  std::vector<LatencyRow> rows = {{a, 8, 8, 100.0}, {a, 4, 4, 120.0}};
  absl::StatusOr<std::unique_ptr<LookupTableModel>> strict =
      LookupTableModel::Create("t", "seconds", rows, false);
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_DOUBLE_EQ(Lat(**strict, a, 4, 4), 120.0);
  absl::StatusOr<LatencyEstimate> miss = (*strict)->Estimate(b, 8, 8);
  ASSERT_FALSE(miss.ok());
  EXPECT_TRUE(absl::IsNotFound(miss.status()));
  EXPECT_NE(miss.status().message().find("shape not in the table"), std::string::npos);

  absl::StatusOr<std::unique_ptr<LookupTableModel>> loose =
      LookupTableModel::Create("t", "seconds", rows, true);
  ASSERT_TRUE(loose.ok());
  absl::StatusOr<LatencyEstimate> e = (*loose)->Estimate(b, 8, 8);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_DOUBLE_EQ(e->latency, 400.0);
  EXPECT_TRUE(e->extrapolated);
  EXPECT_NE(e->note.find("scaled from"), std::string::npos);
  // No measurement at this bit pair for any signature: still an error.
  EXPECT_FALSE((*loose)->Estimate(b, 2, 2).ok());
  // An exact hit is never marked extrapolated.
  EXPECT_FALSE((*loose)->Estimate(a, 8, 8)->extrapolated);

  rows.push_back({a, 8, 8, 5.0});
  EXPECT_FALSE(LookupTableModel::Create("t", "seconds", rows, false).ok());
  EXPECT_FALSE(LookupTableModel::Create("t", "seconds", {{a, 8, 8, -1.0}}, false).ok());
}

TEST(NetworkLatencyTest, SumsScalesByKeptFractionAndReportsExtrapolation) {
  BopsModel m;
  const LayerSignature s = LayerSignature::Linear(10, 10);
  absl::StatusOr<NetworkLatency> n = ComputeNetworkLatency(
      m, {{s, 8, 8, 1.0}, {s, 8, 8, 0.25}, {s, 0, 8, 1.0}, {s, 4, 4, 1.0}});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_DOUBLE_EQ(n->per_layer[0], 6400);
  EXPECT_DOUBLE_EQ(n->per_layer[1], 1600);
  EXPECT_DOUBLE_EQ(n->per_layer[2], 0);
  EXPECT_DOUBLE_EQ(n->total, 6400 + 1600 + 1600);
  EXPECT_FALSE(ComputeNetworkLatency(m, {{s, 8, 8, 1.5}}).ok());

  absl::StatusOr<std::unique_ptr<LookupTableModel>> lut =
      LookupTableModel::Create("t", "seconds", {{s, 8, 8, 1.0}}, true);
  ASSERT_TRUE(lut.ok());
  n = ComputeNetworkLatency(**lut, {{s, 8, 8, 1.0}, {LayerSignature::Linear(20, 10), 8, 8, 1.0}});
  ASSERT_TRUE(n.ok());
  EXPECT_DOUBLE_EQ(n->total, 3.0);
  ASSERT_EQ(n->notes.size(), 1u);
  EXPECT_EQ(n->notes[0].rfind("layer 1: ", 0), 0u);
}

// The built-in profiles must show the hardware behaviour their descriptions promise.
class BuiltinProfileTest : public ::testing::Test {
 protected:
  std::unique_ptr<LatencyModel> Load(const std::string& name) {
    absl::StatusOr<std::unique_ptr<LatencyModel>> m = LoadProfile(name, "/nonexistent-dir");
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? std::move(*m) : nullptr;
  }
  const LayerSignature conv_ = TestConv(64, 64, 3, 16);
};

TEST_F(BuiltinProfileTest, EveryProfileCoversAllBitPairs) {
  for (const char* name : {"pulp-xpulpv2", "pulp-xpulpnn", "bitserial", "npu-int8", "bops"}) {
    std::unique_ptr<LatencyModel> m = Load(name);
    ASSERT_NE(m, nullptr) << name;
    for (int a : {2, 4, 8, 16, 32}) {
      for (int w : {2, 4, 8, 16, 32}) {
        absl::StatusOr<double> v = m->Latency(conv_, a, w);
        ASSERT_TRUE(v.ok()) << name << " a" << a << " w" << w << ": " << v.status();
        EXPECT_GT(*v, 0.0);
      }
    }
  }
}

TEST_F(BuiltinProfileTest, XpulpV2SubByteIsSlowerThanEightBit) {
  std::unique_ptr<LatencyModel> m = Load("pulp-xpulpv2");
  ASSERT_NE(m, nullptr);
  const double l88 = Lat(*m, conv_, 8, 8);
  EXPECT_GT(Lat(*m, conv_, 8, 4), l88);
  EXPECT_GT(Lat(*m, conv_, 4, 4), l88);
  EXPECT_GT(Lat(*m, conv_, 2, 2), Lat(*m, conv_, 4, 4));
  EXPECT_GT(Lat(*m, conv_, 32, 32), Lat(*m, conv_, 16, 16));
  EXPECT_GT(Lat(*m, conv_, 16, 16), l88);
}

TEST_F(BuiltinProfileTest, XpulpNNLowerBitsAreFaster) {
  std::unique_ptr<LatencyModel> m = Load("pulp-xpulpnn");
  ASSERT_NE(m, nullptr);
  EXPECT_LT(Lat(*m, conv_, 4, 4), Lat(*m, conv_, 8, 8));
  EXPECT_LT(Lat(*m, conv_, 2, 2), Lat(*m, conv_, 4, 4));
}

TEST_F(BuiltinProfileTest, BitserialScalesWithBitProduct) {
  std::unique_ptr<LatencyModel> m = Load("bitserial");
  ASSERT_NE(m, nullptr);
  // The compute share is proportional to a x w; overhead and overlapped memory are small.
  const LayerSignature big = TestConv(256, 256, 3, 32);
  EXPECT_NEAR(Lat(*m, big, 8, 8) / Lat(*m, big, 4, 4), 4.0, 0.05);
  EXPECT_NEAR(Lat(*m, big, 8, 2) / Lat(*m, big, 4, 4), 1.0, 0.01);
}

TEST_F(BuiltinProfileTest, NpuInt8GainsNothingBelowEightBits) {
  std::unique_ptr<LatencyModel> m = Load("npu-int8");
  ASSERT_NE(m, nullptr);
  const double l88 = Lat(*m, conv_, 8, 8);
  for (int a : {2, 4, 8}) {
    for (int w : {2, 4, 8}) EXPECT_DOUBLE_EQ(Lat(*m, conv_, a, w), l88);
  }
  EXPECT_GT(Lat(*m, conv_, 16, 8), l88);
  EXPECT_GT(Lat(*m, conv_, 32, 32), Lat(*m, conv_, 16, 16));
}

}  // namespace
}  // namespace bitsearch
