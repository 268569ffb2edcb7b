// The JSON reading helpers of the job spec parser (spec.cc, dataset_spec.cc): ObjectReader reads
// the fields of one object, remembers which keys were consumed and refuses the rest by their full
// dotted path. Internal to the bitsearch_spec target. Thread-safety: one reader per object.
#ifndef BITSEARCH_SEARCH_SPEC_READER_H_
#define BITSEARCH_SEARCH_SPEC_READER_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace bitsearch {
namespace spec_internal {

// Upper bounds: far beyond any sensible job, low enough that no value inside them overflows or
// makes a layer absurd (a width of 1e300 "succeeded" with 1-channel layers).
inline constexpr double kMaxWidth = 16;
inline constexpr double kMaxMu = 1000;
inline constexpr double kMaxLr = 100;
inline constexpr int64_t kMaxSamples = 1'000'000'000;
inline constexpr int64_t kMaxSyntheticSamples = 10'000'000;
inline constexpr int64_t kMaxSampleValues = 16 << 20;
inline constexpr int64_t kMaxEpochs = 100'000;
inline constexpr int64_t kMaxBatch = 65536;

// "a string", "an array", ... for error messages.
const char* TypeName(const nlohmann::json& v);

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string Path(const std::string& key) const {
    return path_.empty() ? key : absl::StrCat(path_, ".", key);
  }

  // The value at `key` (marked as read), or null when absent.
  const nlohmann::json* Find(const std::string& key);

  absl::Status String(const std::string& key, std::string* out);
  absl::Status Bool(const std::string& key, bool* out);
  // Reads a finite number into `*out`, checked against [min_value, max_value] (min_value
  // excluded when `exclusive`); `why` explains the upper bound in its error.
  absl::Status Number(const std::string& key, double* out, double min_value, bool exclusive,
                      double max_value = std::numeric_limits<double>::max(), const char* why = "");
  // Reads an integer into `*out`, checked against [min_value, max_value] and against what `Int`
  // can hold, so nothing is ever truncated by the cast (4294967295 epochs, 2^32 + 64 batches).
  template <typename Int>
  absl::Status Integer(const std::string& key, Int* out, int64_t min_value,
                       int64_t max_value = std::numeric_limits<int64_t>::max()) {
    max_value = std::min<int64_t>(
        max_value, static_cast<int64_t>(std::min<uint64_t>(std::numeric_limits<Int>::max(),
                                                           std::numeric_limits<int64_t>::max())));
    int64_t value = 0;
    bool present = false;
    absl::Status st = IntegerValue(key, &value, &present, min_value, max_value);
    if (st.ok() && present) *out = static_cast<Int>(value);
    return st;
  }

  // Any key not read so far is a typo or a field from a newer version: refuse it by name.
  absl::Status NoUnknownFields() const;

  absl::Status TypeError(const std::string& key, const char* expected, const nlohmann::json& got) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(key), ": expected ", expected, ", got ", TypeName(got)));
  }

 private:
  absl::Status IntegerValue(const std::string& key, int64_t* out, bool* present, int64_t min_value,
                            int64_t max_value);

  const nlohmann::json& obj_;
  std::string path_;
  std::set<std::string> seen_;
};

// Opens a sub-object `key` of `parent`; absent is fine (defaults), anything but an object is not.
absl::Status SubObject(ObjectReader& parent, const std::string& key, const nlohmann::json** out);

// The optional object `key` of `parent`: absent, the defaults stay; present, `read` (taking the
// block's ObjectReader, returning absl::Status) reads its fields, and a field it did not read is
// an error.
template <typename Read>
absl::Status ReadBlock(ObjectReader& parent, const std::string& key, Read&& read) {
  const nlohmann::json* obj;
  if (absl::Status s = SubObject(parent, key, &obj); !s.ok() || obj == nullptr) return s;
  ObjectReader r(*obj, parent.Path(key));
  if (absl::Status s = std::forward<Read>(read)(r); !s.ok()) return s;
  return r.NoUnknownFields();
}

bool OneOf(const std::string& v, const std::vector<std::string>& allowed);
absl::Status NotOneOf(const std::string& path, const std::string& v,
                      const std::vector<std::string>& allowed);

}  // namespace spec_internal
}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_SPEC_READER_H_
