#include "search/sweep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/pretrain_key.h"

namespace bitsearch {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char kBase[] = R"({"name": "fm", "model": "lenet5", "search": {"mu": 0.1, "epochs": 1}})";

std::string ErrorOf(const json& spec, const std::vector<SweepAxis>& overrides = {}) {
  auto plan = ExpandSweep(spec, overrides);
  EXPECT_FALSE(plan.ok()) << spec.dump();
  return plan.ok() ? "" : std::string(plan.status().message());
}

std::vector<std::string> Names(const SweepPlan& plan) {
  std::vector<std::string> names;
  for (const SweepPoint& p : plan.points) names.push_back(p.spec.name);
  return names;
}

TEST(SweepTest, SetOptionParsesNumbersBooleansAndPlainStrings) {
  auto mu = ParseSetOption("search.mu=0.01,0.1, 1");
  ASSERT_TRUE(mu.ok()) << mu.status();
  EXPECT_EQ(mu->field, "search.mu");
  EXPECT_THAT(mu->values, ElementsAre(json(0.01), json(0.1), json(1)));
  auto profile = ParseSetOption("hardware.profile=pulp-xpulpv2,bitserial");
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_THAT(profile->values, ElementsAre(json("pulp-xpulpv2"), json("bitserial")));
  auto prune = ParseSetOption("search.prune=true,false");
  ASSERT_TRUE(prune.ok());
  EXPECT_THAT(prune->values, ElementsAre(json(true), json(false)));
}

TEST(SweepTest, SetOptionErrorsNameTheProblem) {
  EXPECT_THAT(ParseSetOption("search.mu").status().message(), HasSubstr("FIELD=VALUE"));
  EXPECT_THAT(ParseSetOption("search.mu=0.1,,1").status().message(), HasSubstr("a value is empty"));
  EXPECT_THAT(ParseSetOption("search.mu=0.1,0.1").status().message(),
              HasSubstr("[1]: value 0.1 is listed twice"));
  EXPECT_THAT(ParseSetOption("=1").status().message(), HasSubstr("field name is empty"));
  EXPECT_THAT(ParseSetOption("search..mu=1").status().message(), HasSubstr("empty part"));
  EXPECT_THAT(ParseSetOption("search mu=1").status().message(), HasSubstr("dotted field path"));
  EXPECT_THAT(ParseSetOption("name=a,b").status().message(), HasSubstr("cannot be swept"));
}

TEST(SweepTest, NoAxisIsOnePointWithTheSpecItself) {
  auto plan = ExpandSweep(json::parse(kBase));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->points.size(), 1u);
  EXPECT_EQ(plan->points[0].spec.name, "fm");
  EXPECT_EQ(plan->points[0].settings, json::object());
  EXPECT_FALSE(SweepSpecJson(*plan).contains("sweep"));
}

TEST(SweepTest, BlockExpandsIntoOnePointPerValue) {
  json spec = json::parse(kBase);
  spec["sweep"] = {{"search.mu", {0.01, 0.1, 1.0}}};
  auto plan = ExpandSweep(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "fm");
  ASSERT_EQ(plan->points.size(), 3u);
  EXPECT_DOUBLE_EQ(plan->points[0].spec.search.mu, 0.01);
  EXPECT_DOUBLE_EQ(plan->points[2].spec.search.mu, 1.0);
  EXPECT_EQ(plan->points[1].settings, json({{"search.mu", 0.1}}));
  EXPECT_THAT(Names(*plan), ElementsAre("fm-mu0.01", "fm-mu0.1", "fm-mu1.0"));
  // Fields the sweep does not touch keep the base's values.
  for (const SweepPoint& p : plan->points) EXPECT_EQ(p.spec.search.epochs, 1);
  EXPECT_FALSE(plan->base.contains("sweep"));
}

TEST(SweepTest, SeveralFieldsGiveTheirProductFirstFieldSlowest) {
  json spec = json::parse(kBase);
  spec["sweep"] = {{"hardware.profile", {"pulp-xpulpv2", "bitserial"}},
                   {"search.mu", {0.01, 0.1, 1.0}}};
  auto plan = ExpandSweep(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->points.size(), 6u);
  EXPECT_EQ(plan->points[0].spec.hardware.profile, "pulp-xpulpv2");
  EXPECT_EQ(plan->points[2].spec.hardware.profile, "pulp-xpulpv2");
  EXPECT_EQ(plan->points[3].spec.hardware.profile, "bitserial");
  EXPECT_DOUBLE_EQ(plan->points[4].spec.search.mu, 0.1);
  EXPECT_EQ(plan->points[4].spec.name, "fm-bitserial-mu0.1");
  EXPECT_EQ(plan->points[4].settings,
            json({{"hardware.profile", "bitserial"}, {"search.mu", 0.1}}));
}

TEST(SweepTest, SetOverridesTheBlocksFieldAndAddsNewOnes) {
  json spec = json::parse(kBase);
  spec["sweep"] = {{"search.mu", {0.5, 5.0}}};
  auto mu = ParseSetOption("search.mu=0.01,0.03,0.1,0.3,1");
  auto profile = ParseSetOption("hardware.profile=pulp-xpulpv2,bitserial");
  ASSERT_TRUE(mu.ok() && profile.ok());
  auto plan = ExpandSweep(spec, {*mu, *profile});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->points.size(), 10u);
  ASSERT_EQ(plan->axes.size(), 2u);
  EXPECT_EQ(plan->axes[0].field, "search.mu");
  EXPECT_EQ(plan->axes[0].values.size(), 5u);
  // The merged plan travels as one spec and expands to the same points on the other side.
  auto again = ExpandSweep(SweepSpecJson(*plan));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->points.size(), 10u);
}

TEST(SweepTest, SingleValueSetIsAnOverrideNotPartOfTheName) {
  auto epochs = ParseSetOption("search.epochs=2");
  auto mu = ParseSetOption("search.mu=0.01,1");
  auto plan = ExpandSweep(json::parse(kBase), {*epochs, *mu});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Names(*plan), ElementsAre("fm-mu0.01", "fm-mu1"));
  EXPECT_EQ(plan->points[1].spec.search.epochs, 2);
}

TEST(SweepTest, FieldsInsideAbsentObjectsAreCreated) {
  json spec = {{"name", "x"}, {"model", "lenet5"}, {"sweep", {{"finetune.epochs", {0, 2}}}}};
  auto plan = ExpandSweep(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->points[1].spec.finetune.epochs, 2);
}

TEST(SweepTest, ErrorsNameTheFieldAndTheValue) {
  json spec = json::parse(kBase);
  spec["sweep"] = {{"search.mu", {0.1, 1.0, -1}}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("sweep.search.mu[2] = -1: search.mu: must be at least 0"));
  spec["sweep"] = {{"search.muu", {0.1}}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("sweep.search.muu[0] = 0.1: search.muu: unknown field"));
  spec["sweep"] = {{"hardware.profile", {"bops", 7}}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("sweep.hardware.profile[1] = 7: hardware.profile: expected a string"));
  spec["sweep"] = {{"search.mu", 0.1}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("sweep.search.mu: expected an array of values"));
  spec["sweep"] = {{"search.mu", json::array()}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("sweep.search.mu: list at least one value"));
  spec["sweep"] = {{"search.mu", {0.1, 0.1}}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("sweep.search.mu[1]: value 0.1 is listed twice"));
  spec["sweep"] = {{"name", {"a", "b"}}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("cannot be swept"));
  spec["sweep"] = {{"model.width", {0.5, 1.0}}};  // "model": "lenet5" is the string shorthand
  EXPECT_THAT(ErrorOf(spec), HasSubstr("model is not an object in the spec"));
  spec["sweep"] = json::array({1, 2});
  EXPECT_THAT(ErrorOf(spec), HasSubstr("sweep: expected an object"));
  // An error in the base is reported once, as the spec's own.
  json bad = json::parse(kBase);
  bad["search"]["regularizer"] = "l2";
  bad["sweep"] = {{"search.mu", {0.1, 1.0}}};
  EXPECT_THAT(ErrorOf(bad), HasSubstr("search.regularizer: unknown value \"l2\""));
}

TEST(SweepTest, TooManyPointsAreRefusedBeforeExpanding) {
  json spec = json::parse(kBase);
  json many = json::array();
  for (int i = 0; i < 20; ++i) many.push_back(i);
  spec["sweep"] = {{"search.seed", many}, {"search.epochs", many}};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("more than 256 points"));
}

TEST(SweepTest, LongOrCollidingNamesFallBackToIndices) {
  json spec = json::parse(kBase);
  spec["name"] = std::string(120, 'n');
  spec["sweep"] = {{"search.mu", {0.01, 0.1}}};
  auto plan = ExpandSweep(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->points[0].spec.name, std::string(120, 'n') + "-mu0.01");
  spec["name"] = std::string(126, 'n');
  plan = ExpandSweep(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->points[1].spec.name, std::string(125, 'n') + "-p2");
  EXPECT_LE(plan->points[1].spec.name.size(), 128u);
  // Two strings that read the same once cleaned: the second is named by its index.
  spec = json::parse(kBase);
  spec["sweep"] = {{"hardware.profile", {"a b", "a_b"}}};
  plan = ExpandSweep(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Names(*plan), ElementsAre("fm-a_b", "fm-p2"));
}

TEST(SweepTest, OneJobSpecRefusesASweepBlockWithAHint) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "sweep": {"search.mu": [0.1, 1]}})");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("bitsearch sweep"));
}

TEST(SweepTest, MuPointsShareAPretrainKeyButSeedPointsDoNot) {
  json spec = json::parse(kBase);
  spec["sweep"] = {{"search.mu", {0.01, 1.0}}, {"search.seed", {1, 2}}};
  auto plan = ExpandSweep(spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->points.size(), 4u);
  auto key = [&](int i) { return PretrainKeyHash(JobSpecToJson(plan->points[i].spec)); };
  // Order: mu slowest: (0.01,1) (0.01,2) (1,1) (1,2).
  EXPECT_EQ(key(0), key(2));
  EXPECT_EQ(key(1), key(3));
  EXPECT_NE(key(0), key(1));
  EXPECT_TRUE(TrainsFloatModel(plan->points[0].spec));
  plan->points[0].spec.pretrain.epochs = 0;
  EXPECT_FALSE(TrainsFloatModel(plan->points[0].spec));
}

}  // namespace
}  // namespace bitsearch
