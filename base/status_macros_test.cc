#include "base/status_macros.h"

#include <gtest/gtest.h>

#include <memory>

namespace bitsearch {
namespace {

absl::StatusOr<std::unique_ptr<int>> MakeInt(int v) {
  if (v < 0) return absl::InvalidArgumentError("negative");
  return std::make_unique<int>(v);
}

absl::StatusOr<int> Twice(int v) {
  BS_ASSIGN_OR_RETURN(std::unique_ptr<int> p, MakeInt(v));  // move-only values work
  std::unique_ptr<int> q;
  BS_ASSIGN_OR_RETURN(q, MakeInt(*p * 2));  // and so does an existing variable
  return *q;
}

absl::Status Check(int a, int b) {
  BS_RETURN_IF_ERROR(MakeInt(a).status());
  BS_RETURN_IF_ERROR(MakeInt(b).status());  // two on one scope do not clash
  return absl::OkStatus();
}

TEST(StatusMacrosTest, ReturnEarlyOnErrorAndAssignOnSuccess) {
  EXPECT_EQ(*Twice(3), 6);
  EXPECT_EQ(Twice(-1).status().message(), "negative");
  EXPECT_TRUE(Check(1, 2).ok());
  EXPECT_EQ(Check(1, -2).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bitsearch
