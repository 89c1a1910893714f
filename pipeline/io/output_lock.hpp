// An advisory lock on an output folder (`OUT/.lock`, a POSIX fcntl write lock) held for a whole
// `nightlights run`, so that two runs into one folder never interleave their manifests and
// panels. fcntl locks are kept by the NFS lock manager, Lustre (mounted with `flock`), GPFS and
// BeeGFS (global locks on), so a run on one node also waits for a run on another.
#pragma once
#include <string>

namespace nl {

// POSIX locks belong to the process and go with the first close of any descriptor of the file:
// nothing else in the process may open OUT/.lock while the lock is held.
class OutputLock {
 public:
  // Takes the lock on `dir` (created if missing). When another process holds it: with `wait`,
  // says once who holds it and waits; without, throws UserError naming the holder.
  OutputLock(const std::string& dir, bool wait);
  ~OutputLock();  // empties the file (no stale holder) and releases the lock
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  // "pid N on host H since T" of the process holding the lock on `dir`, or "" when it is free.
  static std::string holder(const std::string& dir);

 private:
  int fd_ = -1;
};

}  // namespace nl
