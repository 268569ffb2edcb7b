#include "base/pem_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"

namespace bitsearch {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, PemKind kind, const char* what) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    absl::Status st = ErrnoStatus(errno, "reading", path);
    return absl::Status(st.code(), absl::StrCat(what, ": ", st.message()));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string pem = text.str();
  // "-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----"
  const char* label = kind == PemKind::kCertificate ? "CERTIFICATE-----" : "PRIVATE KEY-----";
  size_t begin = pem.find("-----BEGIN ");
  bool found = false;
  while (begin != std::string::npos && !found) {
    size_t eol = pem.find('\n', begin);
    std::string header = pem.substr(begin, eol == std::string::npos ? std::string::npos : eol - begin);
    if (absl::StrContains(header, label)) {
      std::string end_marker = absl::StrCat("-----END ", header.substr(11));
      while (!end_marker.empty() && (end_marker.back() == '\r' || end_marker.back() == ' ')) {
        end_marker.pop_back();
      }
      found = pem.find(end_marker, begin) != std::string::npos;
    }
    begin = pem.find("-----BEGIN ", begin + 1);
  }
  if (!found) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " ", path, " holds no PEM ",
        kind == PemKind::kCertificate ? "certificate" : "private key",
        " (expected a '-----BEGIN ", label, "' block)"));
  }
  return pem;
}

}  // namespace bitsearch
