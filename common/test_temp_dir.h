// The one temporary-directory helper of the tests: a fresh, empty directory that is removed,
// with everything in it, when the object goes out of scope, so also when a test fails an
// ASSERT (which returns early). Header-only and free of gtest, so that every test target,
// fixture and helper library can use it.
//
// It is made under $TEST_TMPDIR, else $TMPDIR, else /tmp. ctest gives every test binary a
// TMPDIR of its own under <build>/test-tmp/ and fails `test_tmpdir_leaks` on anything left
// there (cmake/TestTmpdir.cmake, docs/build.md). AUGUR_KEEP_TEST_DIRS=1 keeps the directories
// (their paths are printed) to look at after a run.
#ifndef AUGUR_COMMON_TEST_TEMP_DIR_H_
#define AUGUR_COMMON_TEST_TEMP_DIR_H_

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace augur::testing {

// Whether AUGUR_KEEP_TEST_DIRS asks to keep the tests' temporary directories.
inline bool KeepTestDirs() {
  const char* keep = std::getenv("AUGUR_KEEP_TEST_DIRS");
  return keep != nullptr && *keep != '\0' && std::string_view(keep) != "0";
}

// The folder the tests' temporary files go under: $TEST_TMPDIR, $TMPDIR or /tmp.
inline std::filesystem::path TestTmpRoot() {
  for (const char* var : {"TEST_TMPDIR", "TMPDIR"}) {
    const char* dir = std::getenv(var);
    if (dir != nullptr && *dir != '\0') return dir;
  }
  return "/tmp";
}

class TempDir {
 public:
  // <root>/augur-<name>-XXXXXX, made by mkdtemp (so unique across processes and tests).
  explicit TempDir(std::string_view name = "test") : TempDir(name, TestTmpRoot()) {}
  // The same under another folder, e.g. a shorter one for a Unix socket (at most 107 bytes).
  TempDir(std::string_view name, const std::filesystem::path& root) {
    std::string tmpl = (root / ("augur-" + std::string(name) + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      throw std::filesystem::filesystem_error("mkdtemp", tmpl,
                                              std::error_code(errno, std::generic_category()));
    }
    path_ = tmpl;
  }
  ~TempDir() {
    if (KeepTestDirs()) {
      std::fprintf(stderr, "AUGUR_KEEP_TEST_DIRS: kept %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) {
      // Folders a test made read-only: give them back their owner's rights, then retry.
      for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec)) {
          std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                       std::filesystem::perm_options::add, ec);
        }
      }
      ec.clear();
      std::filesystem::remove_all(path_, ec);
    }
    if (ec) std::fprintf(stderr, "cannot remove %s: %s\n", path_.c_str(), ec.message().c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `name` inside the directory (not created).
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace augur::testing

#endif  // AUGUR_COMMON_TEST_TEMP_DIR_H_
