#include "base/pem_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "base/test_temp_dir.h"

namespace bitsearch {
namespace {

// Shapes only: whether the bytes inside are a valid certificate is for TLS to judge.
constexpr char kCert[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr char kKey[] = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n";

class PemFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.Path(name);
    std::ofstream(path) << text;
    return path;
  }
  TempDir dir_{"bitsearch-pem"};
};

TEST_F(PemFileTest, ReadsCertificatesAndKeys) {
  EXPECT_EQ(*ReadPemFile(Write("ca.pem", kCert), PemKind::kCertificate, "--tls-ca-file"), kCert);
  EXPECT_TRUE(ReadPemFile(Write("key.pem", kKey), PemKind::kPrivateKey, "--tls-key-file").ok());
}

TEST_F(PemFileTest, MissingEmptyAndForeignFilesAreErrorsNotDefaultRoots) {
  absl::Status missing = ReadPemFile(dir_.Path("nope.pem"), PemKind::kCertificate, "--tls-ca-file").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("--tls-ca-file"), std::string::npos) << missing;
  EXPECT_EQ(ReadPemFile(Write("empty.pem", ""), PemKind::kCertificate, "ca").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadPemFile(Write("junk.pem", "hello\n"), PemKind::kCertificate, "ca").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A key where a CA belongs, and a certificate without its END line.
  EXPECT_EQ(ReadPemFile(Write("k.pem", kKey), PemKind::kCertificate, "ca").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadPemFile(Write("cut.pem", "-----BEGIN CERTIFICATE-----\nMII"), PemKind::kCertificate,
                        "ca").status().code(),
            absl::StatusCode::kInvalidArgument);
  if (geteuid() != 0) {  // root reads anything
    std::string locked = Write("locked.pem", kCert);
    chmod(locked.c_str(), 0);
    EXPECT_EQ(ReadPemFile(locked, PemKind::kCertificate, "ca").status().code(),
              absl::StatusCode::kPermissionDenied);
  }
}

}  // namespace
}  // namespace bitsearch
