// A test's scratch folder: a fresh folder of its own under the system temp dir (mkdtemp, so two
// suites, or two checkouts, running at once on one machine never share one), removed with all it
// holds when the TempDir goes. For tests only (the bitsearch::base_testing library); every folder's
// tests use it instead of each writing the mkdtemp/remove_all pair again.
//
// Thread-safety: immutable after construction.
#ifndef BITSEARCH_BASE_TEST_TEMP_DIR_H_
#define BITSEARCH_BASE_TEST_TEMP_DIR_H_

#include <string>

namespace bitsearch {

class TempDir {
 public:
  // Creates /tmp/PREFIX-XXXXXX (or under $TMPDIR); aborts the test binary, naming the folder,
  // when it cannot (a test without its folder would write somewhere else).
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The folder's path, without a trailing slash.
  const std::string& path() const { return path_; }
  // `name` (a file or a relative path) inside the folder.
  std::string Path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_TEST_TEMP_DIR_H_
