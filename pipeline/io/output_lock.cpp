// The output folder's lock. The holder writes "pid N on host H since T" into the lock file, so
// that a waiting run (possibly on another node, where the pid means nothing by itself) can say
// who it waits for; the file is emptied, never removed, when the run ends: removing a lock
// file lets a third run lock a new file while the second still waits on the old one.
#include "pipeline/io/output_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "pipeline/io/diagnostics.hpp"
#include "pipeline/io/file_identity.hpp"
#include "pipeline/io/output_file.hpp"

namespace nl {

namespace {

std::string lock_path(const std::string& dir) { return dir + "/.lock"; }

struct flock whole_file(short type) {
  struct flock l {};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = 0;
  l.l_len = 0;
  return l;
}

std::string read_holder(int fd) {
  char buf[512];
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s.empty() ? "another process (it has not written its name yet)" : s;
}

std::string this_holder() {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  return "pid " + std::to_string(getpid()) + " on host " + host + " since " + utc_now();
}

[[noreturn]] void fail_lock(const std::string& dir, int err) {
  throw UserError(lock_path(dir) + ": cannot lock the output folder (" + std::strerror(err) +
                  "); the file system may not support fcntl locks (Lustre without the flock mount option, "
                  "NFS mounted with nolock): put the output on a file system that does");
}

}  // namespace

OutputLock::OutputLock(const std::string& dir, bool wait) {
  make_directories(dir);
  fd_ = ::open(lock_path(dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
  if (fd_ < 0)
    throw UserError(lock_path(dir) + ": cannot create the lock file (" + std::strerror(errno) +
                    "); is the output folder writable?");
  struct flock l = whole_file(F_WRLCK);
  if (fcntl(fd_, F_SETLK, &l) != 0) {
    const int err = errno;
    if (err != EACCES && err != EAGAIN) {
      ::close(fd_);
      fail_lock(dir, err);
    }
    const std::string who = read_holder(fd_);
    if (!wait) {
      ::close(fd_);
      throw UserError(dir + " is locked by another run (" + who +
                      "); it ends by itself, or run again without --no-wait to wait for it");
    }
    log_warning("waiting for the lock on " + dir + " held by " + who);
    while (fcntl(fd_, F_SETLKW, &l) != 0) {
      if (errno == EINTR) continue;  // a signal: the run's own handler decides after the wait
      const int e = errno;
      ::close(fd_);
      fail_lock(dir, e);
    }
  }
  const std::string me = this_holder() + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size()))
    log_warning(lock_path(dir) + ": locked, but could not write who holds the lock");
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  if (ftruncate(fd_, 0) != 0) {
    // an unwritable lock file keeps the last holder's name; the lock is released all the same
  }
  ::close(fd_);  // closing releases the fcntl lock
}

std::string OutputLock::holder(const std::string& dir) {
  const int fd = ::open(lock_path(dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct flock l = whole_file(F_WRLCK);
  std::string who;
  if (fcntl(fd, F_GETLK, &l) == 0 && l.l_type != F_UNLCK) who = read_holder(fd);
  ::close(fd);
  return who;
}

}  // namespace nl
