#include "search/spec_reader.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "base/quote.h"

namespace bitsearch {
namespace spec_internal {

using nlohmann::json;

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

const json* ObjectReader::Find(const std::string& key) {
  seen_.insert(key);
  auto it = obj_.find(key);
  return it == obj_.end() ? nullptr : &*it;
}

absl::Status ObjectReader::String(const std::string& key, std::string* out) {
  const json* v = Find(key);
  if (!v) return absl::OkStatus();
  if (!v->is_string()) return TypeError(key, "a string", *v);
  *out = v->get<std::string>();
  return absl::OkStatus();
}

absl::Status ObjectReader::Bool(const std::string& key, bool* out) {
  const json* v = Find(key);
  if (!v) return absl::OkStatus();
  if (!v->is_boolean()) return TypeError(key, "a boolean", *v);
  *out = v->get<bool>();
  return absl::OkStatus();
}

absl::Status ObjectReader::IntegerValue(const std::string& key, int64_t* out, bool* present,
                                        int64_t min_value, int64_t max_value) {
  const json* v = Find(key);
  *present = v != nullptr;
  if (!v) return absl::OkStatus();
  auto out_of_range = [&](bool too_small) {
    return absl::InvalidArgumentError(absl::StrCat(Path(key), too_small ? ": must be at least " : ": must be at most ",
                                                   too_small ? min_value : max_value, ", got ", v->dump()));
  };
  int64_t value;
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(max_value)) return out_of_range(false);
    value = static_cast<int64_t>(v->get<uint64_t>());
  } else if (v->is_number_integer()) {
    value = v->get<int64_t>();
  } else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>()) {
    // Compared as doubles first: casting 1e308 to int64 is undefined.
    double d = v->get<double>();
    if (d < static_cast<double>(min_value)) return out_of_range(true);
    if (d > static_cast<double>(max_value)) return out_of_range(false);
    value = static_cast<int64_t>(d);
  } else {
    return TypeError(key, "an integer", *v);
  }
  if (value < min_value) return out_of_range(true);
  if (value > max_value) return out_of_range(false);
  *out = value;
  return absl::OkStatus();
}

absl::Status ObjectReader::Number(const std::string& key, double* out, double min_value,
                                  bool exclusive, double max_value, const char* why) {
  const json* v = Find(key);
  if (!v) return absl::OkStatus();
  if (!v->is_number()) return TypeError(key, "a number", *v);
  double value = v->get<double>();
  if (!std::isfinite(value) || value < min_value || (exclusive && value == min_value)) {
    return absl::InvalidArgumentError(absl::StrCat(Path(key), ": must be ",
                                                   exclusive ? "greater than " : "at least ",
                                                   min_value, ", got ", v->dump()));
  }
  if (value > max_value) {
    return absl::InvalidArgumentError(absl::StrCat(Path(key), ": must be at most ", max_value,
                                                   *why ? " (" : "", why, *why ? ")" : "",
                                                   ", got ", v->dump()));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ObjectReader::NoUnknownFields() const {
  for (auto it = obj_.begin(); it != obj_.end(); ++it) {
    if (!seen_.count(it.key())) {
      // A long or odd key is shown as a quoted prefix, never whole.
      const std::string& k = it.key();
      bool plain = k.size() <= 40 && std::all_of(k.begin(), k.end(), [](char c) { return c > 0x20 && c < 0x7f; });
      return absl::InvalidArgumentError(absl::StrCat(Path(plain ? k : Quoted(k, 40)), ": unknown field"));
    }
  }
  return absl::OkStatus();
}

absl::Status SubObject(ObjectReader& parent, const std::string& key, const json** out) {
  *out = parent.Find(key);
  if (*out && !(*out)->is_object()) return parent.TypeError(key, "an object", **out);
  return absl::OkStatus();
}

bool OneOf(const std::string& v, const std::vector<std::string>& allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

absl::Status NotOneOf(const std::string& path, const std::string& v,
                      const std::vector<std::string>& allowed) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": unknown value ", Quoted(v),
                                                 "; expected one of: ",
                                                 absl::StrJoin(allowed, ", ")));
}

}  // namespace spec_internal
}  // namespace bitsearch
