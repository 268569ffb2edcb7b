#include "client/service_text.h"

#include "absl/time/time.h"
#include "search/report/result_view.h"

namespace bitsearch {

std::string JobStateText(v1::JobState state) {
  std::string name = v1::JobState_Name(state);
  return name.rfind("JOB_STATE_", 0) == 0 ? name.substr(10) : name;
}

std::string LocalTimeText(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms), absl::LocalTimeZone());
}

std::string TableCell(const std::string& s, size_t width) {
  return s.size() <= width ? PrintableText(s) : PrintableText(s, width - 3);
}

}  // namespace bitsearch
