#include "latency_models/layer_signature.h"

#include <unordered_set>

#include <gtest/gtest.h>

#include "latency_models/test_layers.h"

namespace bitsearch {
namespace {

TEST(LayerSignatureTest, MacsOfConvDepthwiseAndLinear) {
  EXPECT_EQ(TestConv(16, 32, 3, 8).Macs(), 8 * 8 * 32 * 16 * 9);
  EXPECT_EQ(TestConv(32, 32, 3, 8, 32).Macs(), 8 * 8 * 32 * 1 * 9);
  EXPECT_TRUE(TestConv(32, 32, 3, 8, 32).IsDepthwise());
  EXPECT_FALSE(TestConv(32, 32, 3, 8).IsDepthwise());
  EXPECT_EQ(LayerSignature::Linear(1024, 512).Macs(), 1024 * 512);
  EXPECT_EQ(LayerSignature::Linear(1024, 512).WeightCount(), 1024 * 512);
}

TEST(LayerSignatureTest, KeyIsStableAndDistinguishesFields) {
  EXPECT_EQ(TestConv(1, 32, 5, 28).Key(), "conv:g1:k5x5:s1:p2:in28x28:out28x28:c1>32");
  EXPECT_NE(TestConv(1, 32, 5, 28).Key(), TestConv(1, 32, 3, 28).Key());
  std::unordered_set<LayerSignature, LayerSignatureHash> set = {TestConv(1, 32, 5, 28),
                                                                 TestConv(1, 32, 5, 28)};
  EXPECT_EQ(set.size(), 1u);
  EXPECT_TRUE(TestConv(1, 32, 3, 28) < TestConv(1, 32, 5, 28) || TestConv(1, 32, 5, 28) < TestConv(1, 32, 3, 28));
}

TEST(LayerSignatureTest, ValidateNamesTheField) {
  LayerSignature s = TestConv(6, 8, 3, 8, 4);
  EXPECT_NE(s.Validate().message().find("'groups'"), std::string::npos);
  s = TestConv(8, 8, 3, 8);
  s.type = "pool";
  EXPECT_NE(s.Validate().message().find("unknown layer type 'pool'"), std::string::npos);
  s = LayerSignature::Linear(10, 10);
  s.kernel_h = 3;
  EXPECT_FALSE(s.Validate().ok());
  s = TestConv(8, 8, 3, 8);
  s.stride = 0;
  EXPECT_NE(s.Validate().message().find("'stride'"), std::string::npos);
}

TEST(LayerSignatureTest, JsonRoundTripAndUnknownField) {
  LayerSignature s = TestConv(3, 16, 3, 32);
  absl::StatusOr<LayerSignature> back = SignatureFromJson(SignatureToJson(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  nlohmann::json j = SignatureToJson(s);
  j["dilation"] = 2;
  absl::StatusOr<LayerSignature> bad = SignatureFromJson(j, "layers[3]");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("layers[3].dilation: unknown field"), std::string::npos);
  absl::StatusOr<LayerSignature> lin =
      SignatureFromJson(nlohmann::json{{"type", "linear"}, {"in_channels", 84}, {"out_channels", 10}});
  ASSERT_TRUE(lin.ok()) << lin.status();
  EXPECT_EQ(*lin, LayerSignature::Linear(84, 10));
}

}  // namespace
}  // namespace bitsearch
