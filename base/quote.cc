#include "base/quote.h"

#include "absl/strings/str_cat.h"

namespace bitsearch {

std::string Quoted(absl::string_view value, size_t max_bytes) {
  size_t cut = value.size();
  if (cut > max_bytes) {
    cut = max_bytes;
    // Back up to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string shown(value.substr(0, cut));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (cut == value.size()) return absl::StrCat("\"", shown, "\"");
  return absl::StrCat("\"", shown, "...\" (", value.size(), " bytes)");
}

}  // namespace bitsearch
