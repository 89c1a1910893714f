// FolderStats: stat(2) through an open folder gives what a stat of the full path gives — for
// files in one folder and across folders, relative paths, names without a folder, a missing file
// (ENOENT) and a missing folder — and still_stamped decides by it; read_whole_file reads any
// file whole, and sha256_file hashes as sha256sum does.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/output_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

// The size ::stat reports, or -errno.
long long plain_stat(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -errno;
}

long long folder_stat(nl::FolderStats& folders, const std::string& path) {
  struct stat st {};
  return folders.stat(path, st) == 0 ? static_cast<long long>(st.st_size) : -errno;
}

}  // namespace

TEST_CASE("file identity: FolderStats answers as stat of the full path, folder after folder") {
  const fs::path root = nl::testsupport::temp_dir("folder-stats");
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  std::ofstream(root / "a" / "one.tif") << "1";
  std::ofstream(root / "a" / "two.tif") << "22";
  std::ofstream(root / "b" / "three.tif") << "333";
  std::ofstream(root / "top.tif") << "4444";
  const fs::path cwd = fs::current_path();
  fs::current_path(root);
  nl::FolderStats folders;
  for (const std::string& path :
       {(root / "a/one.tif").string(), (root / "a/two.tif").string(), (root / "b/three.tif").string(),
        (root / "a/one.tif").string(), (root / "a/missing.tif").string(), (root / "nowhere/x.tif").string(),
        std::string("top.tif"), std::string("a/two.tif"), std::string("./b/three.tif"), std::string("gone.tif")}) {
    CAPTURE(path);
    CHECK(folder_stat(folders, path) == plain_stat(path));
  }
  CHECK(folder_stat(folders, (root / "a/missing.tif").string()) == -ENOENT);
  CHECK(folder_stat(folders, "b/three.tif") == 3);

  // still_stamped: the recorded size and mtime, through the same folders.
  nl::FileStamp s = nl::stamp_file((root / "a/two.tif").string(), false);
  CHECK(nl::still_stamped(s, folders));
  s.size += 1;
  CHECK(!nl::still_stamped(s, folders));
  s = nl::stamp_file((root / "a/two.tif").string(), false);
  s.path = (root / "a/absent.tif").string();
  CHECK(!nl::still_stamped(s, folders));
  fs::current_path(cwd);
  fs::remove_all(root);
}

TEST_CASE("whole files: read_whole_file gives every byte, of any size and of files without one") {
  const std::string dir = nl::testsupport::temp_dir("whole-files");
  // Empty; one byte; 300,001 bytes with NULs in them (a manifest of a long history is ~367 KB);
  // each compared with what was written.
  std::string big(300'001, 'a');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>(i % 251);
  for (const std::string& content : {std::string(), std::string("x"), big}) {
    std::ofstream(dir + "/f", std::ios::binary | std::ios::trunc) << content;
    CHECK(nl::read_whole_file(dir + "/f") == content);
  }
  // A file whose size fstat does not know (/proc says 0): read to its end all the same.
  const auto status = nl::read_whole_file("/proc/self/status");
  REQUIRE(status);
  CHECK(status->find("\nPid:") != std::string::npos);
  CHECK(status->back() == '\n');
  // Missing, or a folder: nothing.
  CHECK_FALSE(nl::read_whole_file(dir + "/missing"));
  CHECK_FALSE(nl::read_whole_file(dir));
  fs::remove_all(dir);
}

TEST_CASE("whole files: sha256_file is coreutils' sha256sum, across its 1 MiB chunks") {
  const std::string dir = nl::testsupport::temp_dir("sha256-files");
  // Empty, one byte, and 1 MiB + 3 bytes (one whole chunk and a short one), bytes of every value.
  std::string big((1 << 20) + 3, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131 + 7) % 256);
  for (const std::string& content : {std::string(), std::string("x"), big}) {
    std::ofstream(dir + "/f", std::ios::binary | std::ios::trunc) << content;
    const auto sum = nl::testsupport::run("sha256sum '" + dir + "/f'");
    REQUIRE(sum.exit_code == 0);
    CHECK(nl::sha256_file(dir + "/f") == sum.output.substr(0, 64));
  }
  fs::remove_all(dir);
}
