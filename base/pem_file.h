// TLS files (certificates, CA bundles, private keys) read for gRPC credentials. A file that cannot
// be read, or holds no PEM block of the expected kind, is an error naming the file: never an empty
// string that gRPC would take as "use the default roots".
//
// Thread-safety: pure function (reads the file).
#ifndef BITSEARCH_BASE_PEM_FILE_H_
#define BITSEARCH_BASE_PEM_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace bitsearch {

enum class PemKind { kCertificate, kPrivateKey };

// The file's text. `what` names it in errors ("--tls-ca-file"). NOT_FOUND / PERMISSION_DENIED
// when it cannot be read, INVALID_ARGUMENT when it has no complete PEM block of `kind`.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, PemKind kind, const char* what);

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_PEM_FILE_H_
