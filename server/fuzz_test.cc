// Fuzz-style robustness: thousands of malformed specs and random byte strings must each come
// back INVALID_ARGUMENT, leave nothing stored, and leave the server serving.
#include <gtest/gtest.h>

#include <random>

#include "nlohmann/json.hpp"
#include "server/test_server.h"

namespace bitsearch::server::testing {
namespace {

// Mutations of a valid spec: truncation, byte flips, wrong types, unknown fields, bad values.
std::string Malformed(std::mt19937& rng, const std::string& valid) {
  std::uniform_int_distribution<int> kind(0, 9);
  std::string s = valid;
  switch (kind(rng)) {
    case 0:  // truncated
      return s.substr(0, std::uniform_int_distribution<size_t>(0, s.size() - 2)(rng));
    case 1: {  // structural characters replaced
      const std::string junk = "{}[]:,\"\\";
      for (int i = 0; i < 3; ++i) {
        s[std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng)] =
            junk[std::uniform_int_distribution<size_t>(0, junk.size() - 1)(rng)];
      }
      if (nlohmann::json::accept(s)) return "{" + s;  // rare: the mutation stayed valid
      return s;
    }
    case 2: return R"({"model":"lenet5","search":{"epochs":"many"}})";
    case 3: return R"({"model":"lenet5","unknown_)" + std::to_string(rng()) + R"(":1})";
    case 4: return R"({"model":"no-such-net-)" + std::to_string(rng() % 1000) + R"("})";
    case 5: return R"({"search":{"epochs":1}})";  // model missing
    case 6: return R"({"model":"lenet5","search":{"max_bits":)" + std::to_string(rng() % 7 * 3 + 3) + "}}";
    case 7: return "[" + s + "]";
    case 8: return R"({"model":"lenet5","dataset":{"name":"synthetic","synthetic_train":-)" +
                   std::to_string(rng() % 100 + 1) + "}}";
    default: return R"({"model":"lenet5","pretrain":{"epochs":1e999}})";
  }
}

TEST(FuzzTest, MalformedSpecsAndRandomBytesAreInvalidArgument) {
  TestServer ts;
  auto jobs = ts.Jobs();
  std::mt19937 rng(20240601);  // fixed seed: failures reproduce
  int sent = 0;
  for (int i = 0; i < 1200; ++i) {
    bitsearch::v1::SubmitJobRequest req;
    if (i % 2 == 0) {
      req.set_spec_json(Malformed(rng, kSmallSpec));
    } else {
      std::string bytes(std::uniform_int_distribution<size_t>(1, 400)(rng), '\0');
      for (char& c : bytes) c = static_cast<char>(rng());
      req.set_spec_json(bytes);
    }
    if (req.spec_json().empty()) req.set_spec_json(" ");
    bitsearch::v1::SubmitJobResponse resp;
    grpc::Status st = jobs->SubmitJob(Ctx().get(), req, &resp);
    ASSERT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "input #" << i << ": " << req.spec_json() << " -> " << st.error_message();
    EXPECT_FALSE(st.error_message().empty());
    ++sent;
  }
  EXPECT_GE(sent, 1000);
  EXPECT_EQ(ListedJobs(*jobs), 0) << "nothing may be stored";
  EXPECT_EQ(HealthStatus(ts.channel()), "SERVING");
  EXPECT_FALSE(SubmitOk(*jobs).empty()) << "still serving valid submissions";
}

}  // namespace
}  // namespace bitsearch::server::testing
