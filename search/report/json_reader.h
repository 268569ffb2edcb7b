// Reads typed fields out of untrusted JSON (a result a server stored, a hand-edited file) for
// display: every miss is recorded as a problem under its dotted path, and null counts as absent.
// Shared by the result view and the sweep view of bitsearch::report.
//
// Thread-safety: a JsonReader appends to its problem list from one thread.
#ifndef BITSEARCH_SEARCH_REPORT_JSON_READER_H_
#define BITSEARCH_SEARCH_REPORT_JSON_READER_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "search/report/result_view.h"

namespace bitsearch {

// A result's JSON must be an object before any field can be read: the error names `what` ("the
// result") and the type it is instead.
inline absl::Status RequireObject(const nlohmann::json& j, const char* what) {
  if (j.is_object()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is not a JSON object (it is ", j.type_name(), ")"));
}

// Reads typed fields out of untrusted JSON; every miss is recorded under its dotted path.
// null counts as absent (results use it for "no latency model") and is not a problem.
class JsonReader {
 public:
  explicit JsonReader(std::vector<std::string>* problems) : problems_(problems) {}

  // The member `key` of `obj` when present and not null; nullptr otherwise.
  static const nlohmann::json* Member(const nlohmann::json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<double> Number(const nlohmann::json& obj, const char* key, const std::string& path,
                               double lo = -std::numeric_limits<double>::max(),
                               double hi = std::numeric_limits<double>::max()) {
    const nlohmann::json* v = Member(obj, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < lo || v->get<double>() > hi) {
      const bool has_lo = lo > -std::numeric_limits<double>::max();
      const bool has_hi = hi < std::numeric_limits<double>::max();
      return Miss(path,
                  has_lo && has_hi ? absl::StrFormat("a number in %g..%g", lo, hi)
                  : has_lo         ? absl::StrFormat("a number >= %g", lo)
                  : has_hi         ? absl::StrFormat("a number <= %g", hi)
                                   : std::string("a number"),
                  *v);
    }
    return v->get<double>();
  }

  // A whole number in lo..hi (integers stored as 8.0 are accepted; 1e300 is not cast).
  std::optional<int64_t> Integer(const nlohmann::json& obj, const char* key, const std::string& path,
                                 int64_t lo, int64_t hi) {
    const nlohmann::json* v = Member(obj, key);
    if (v == nullptr) return std::nullopt;
    std::string want = absl::StrCat("an integer in ", lo, "..", hi);
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(hi)) return Miss(path, want, *v);
      return static_cast<int64_t>(u);
    }
    if (v->is_number_integer()) {
      int64_t i = v->get<int64_t>();
      if (i < lo || i > hi) return Miss(path, want, *v);
      return i;
    }
    if (v->is_number_float()) {
      double d = v->get<double>();
      if (std::isfinite(d) && d == std::floor(d) && d >= static_cast<double>(lo) &&
          d <= static_cast<double>(hi)) {
        return static_cast<int64_t>(d);
      }
    }
    return Miss(path, want, *v);
  }

  std::optional<int> Bits(const nlohmann::json& obj, const char* key, const std::string& path) {
    std::optional<int64_t> b = Integer(obj, key, path, 0, 64);
    return b ? std::optional<int>(static_cast<int>(*b)) : std::nullopt;
  }

  std::optional<int64_t> Count(const nlohmann::json& obj, const char* key, const std::string& path) {
    return Integer(obj, key, path, 0, int64_t{1} << 53);
  }

  std::string String(const nlohmann::json& obj, const char* key, const std::string& path) {
    const nlohmann::json* v = Member(obj, key);
    if (v == nullptr) return "";
    if (!v->is_string()) {
      Miss(path, "a string", *v);
      return "";
    }
    return PrintableText(v->get<std::string>());
  }

  // The member when it is an object (or array, with `array`); a problem when it is another type.
  const nlohmann::json* Container(const nlohmann::json& obj, const char* key, const std::string& path, bool array) {
    const nlohmann::json* v = Member(obj, key);
    if (v == nullptr) return nullptr;
    if (array ? !v->is_array() : !v->is_object()) {
      Miss(path, array ? "an array" : "an object", *v);
      return nullptr;
    }
    return v;
  }

  void Note(std::string problem) { problems_->push_back(std::move(problem)); }

  // Calls fn(entry, "key[i]") for each object in the array `key` (at most kMaxViewEntries);
  // entries of another type are problems.
  template <typename Fn>
  void ForEachObject(const nlohmann::json& obj, const char* key, Fn fn) {
    const nlohmann::json* array = Container(obj, key, key, true);
    if (array == nullptr) return;
    for (size_t i = 0; i < array->size(); ++i) {
      if (i == kMaxViewEntries) {
        Note(absl::StrCat(key, ": ", array->size(), " entries; showing the first ", i));
        break;
      }
      const nlohmann::json& entry = (*array)[i];
      std::string path = absl::StrCat(key, "[", i, "]");
      if (entry.is_object()) {
        fn(entry, path);
      } else {
        Note(absl::StrCat(path, ": expected an object, got ", entry.type_name()));
      }
    }
  }

 private:
  std::nullopt_t Miss(const std::string& path, const std::string& want, const nlohmann::json& got) {
    std::string shown = got.is_number() ? got.dump() : std::string(got.type_name());
    problems_->push_back(absl::StrCat(path, ": expected ", want, ", got ", PrintableText(shown, 40)));
    return std::nullopt;
  }

  std::vector<std::string>* problems_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_JSON_READER_H_
