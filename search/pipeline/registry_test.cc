// The catalog (torch-free names, what specs are validated against) and the torch-side factories
// list the same names, kind by kind; an unknown name is refused naming the field.
#include "search/pipeline/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "search/spec.h"

namespace bitsearch {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(RegistryTest, EveryCatalogNameHasAFactoryAndEveryFactoryAName) {
  for (StrategyKind kind : {StrategyKind::kZooModel, StrategyKind::kSearchMethod, StrategyKind::kPrior,
                            StrategyKind::kRefineMethod, StrategyKind::kBaseline,
                            StrategyKind::kFinetuneMethod}) {
    EXPECT_EQ(Sorted(StrategyNames(kind)), Sorted(FactoryNames(kind))) << StrategyKindName(kind);
    EXPECT_FALSE(StrategyNames(kind).empty()) << StrategyKindName(kind);
    for (const StrategyInfo& s : ListStrategies(kind)) {
      EXPECT_FALSE(s.description.empty()) << s.name;
    }
  }
}

TEST(RegistryTest, EveryBuiltInNameBuilds) {
  for (const std::string& name : StrategyNames(StrategyKind::kSearchMethod)) {
    EXPECT_TRUE(MakeSearchMethod(name).ok()) << name;
  }
  for (const std::string& name : StrategyNames(StrategyKind::kRefineMethod)) {
    EXPECT_TRUE(MakeRefineMethod(name).ok()) << name;
  }
  for (const std::string& name : StrategyNames(StrategyKind::kBaseline)) {
    EXPECT_TRUE(MakeBaseline(name).ok()) << name;
  }
}

TEST(RegistryTest, UnknownNamesAreRefusedByTheSpecAndTheFactories) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "search": {"method": "hawq"}})");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              ::testing::HasSubstr("search.method: unknown value \"hawq\"; expected one of: bayesian_bits"));
  auto method = MakeSearchMethod("hawq");
  ASSERT_FALSE(method.ok());
  EXPECT_THAT(std::string(method.status().message()), ::testing::HasSubstr("search.method"));
  auto baseline = ParseJobSpecText(R"({"model": "lenet5", "baselines": ["w3a3"]})");
  ASSERT_FALSE(baseline.ok());
  EXPECT_THAT(std::string(baseline.status().message()), ::testing::HasSubstr("baselines[0]"));
}

TEST(RegistryTest, ARegisteredMethodJoinsTheCatalogOnce) {
  struct Nothing : SearchMethod {
    absl::StatusOr<SearchOutcome> Search(SearchContext&) override {
      return absl::UnimplementedError("test");
    }
  };
  auto make = [] { return std::make_unique<Nothing>(); };
  EXPECT_FALSE(HasStrategy(StrategyKind::kSearchMethod, "nothing"));
  ASSERT_TRUE(RegisterSearchMethod({"nothing", "does nothing"}, make).ok());
  EXPECT_TRUE(HasStrategy(StrategyKind::kSearchMethod, "nothing"));
  EXPECT_TRUE(ParseJobSpecText(R"({"model": "lenet5", "search": {"method": "nothing"}})").ok());
  EXPECT_EQ(Sorted(StrategyNames(StrategyKind::kSearchMethod)),
            Sorted(FactoryNames(StrategyKind::kSearchMethod)));
  EXPECT_EQ(RegisterSearchMethod({"nothing", "again"}, make).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(RegisterSearchMethod({"bayesian_bits", "clash"}, make).code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace bitsearch
