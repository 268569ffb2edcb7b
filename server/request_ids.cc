#include "server/request_ids.h"

#include "absl/strings/str_cat.h"

namespace bitsearch::server {

absl::Status CheckIdLength(absl::string_view field, const std::string& id) {
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", kMaxIdBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status RequireId(absl::string_view field, const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return CheckIdLength(field, id);
}

}  // namespace bitsearch::server
