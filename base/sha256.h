// SHA-256 digests (OpenSSL's EVP interface, Debian libssl-dev) as lowercase hex: of bytes, of a
// stream fed piece by piece, of a file. Content-addressed data sets name files and chunks by them.
//
// Thread-safety: Sha256 objects belong to one caller; the functions are reentrant.
#ifndef BITSEARCH_BASE_SHA256_H_
#define BITSEARCH_BASE_SHA256_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bitsearch {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view bytes);
  // The digest of everything fed so far (64 hex characters); the object is done afterwards.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string Sha256Hex(absl::string_view bytes);
// The digest of a file's contents; NOT_FOUND when it cannot be opened.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);
// True for 64 lowercase hex characters.
bool IsSha256Hex(absl::string_view s);

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_SHA256_H_
