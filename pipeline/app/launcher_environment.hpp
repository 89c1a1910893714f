// What the `nightlights` launcher reads and adds to the environment before it starts the program
// proper: which program (with MPI under an MPI launcher, without it otherwise), and glibc's
// malloc asked to back its memory with transparent huge pages.
//
// Why two programs: MPICH brings seven libraries (UCX, hwloc, libnuma), whose loading and
// constructors cost every run ~7 ms of serial start-up, and a plain run never uses them.
//
// Why huge pages: on a kernel whose huge-page mode is `madvise` (Debian's default), malloc uses
// them only when GLIBC_TUNABLES says glibc.malloc.hugetlb=1, and glibc reads that once, before
// main: a program cannot ask for it itself, hence a launcher. A first touch of fresh memory is
// what a virtual machine makes dear (~14 µs a 4 KiB page on the benchmark VM): a cold China
// county run (2,884 counties) faults 11.8k times instead of 25k, and a daily run on a long history
// ~10 ms less (BENCHMARKS.md, Run N). Peak RSS grows a little (the heap grows in 2 MiB steps).
// Kernels in `always` or `never` mode are left as they are by glibc itself.
#pragma once
#include <cstddef>

namespace nl {

inline constexpr char kHugePageTunable[] = "glibc.malloc.hugetlb=1";

// The GLIBC_TUNABLES the program should see: `existing` (the user's, or null) with
// kHugePageTunable appended, written to `out` with its terminating NUL. Returns the length
// written, or 0 when the variable is to stay as it is: the user already chose
// glibc.malloc.hugetlb (either way), or the result would not fit in `size`.
size_t tunables_with_huge_pages(const char* existing, char* out, size_t size);

// The variables one of which every MPI launcher we know sets in each rank's environment
// (MPICH's hydra, Open MPI, PMIx, Slurm's srun); the last entry is null.
inline constexpr const char* kMpiLauncherVariables[] = {
    "PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "SLURM_PROCID", "MPI_LOCALNRANKS", nullptr};

// True when one of kMpiLauncherVariables is set: the launcher then starts the MPI build
// (nightlights-program-mpi), and that program initialises MPI.
bool started_by_mpi_launcher();

// How many ranks the launcher says the job has (PMI_SIZE, OMPI_COMM_WORLD_SIZE); 1 when it says
// nothing. Slurm's SLURM_NTASKS is not read: a batch script's own steps carry it too.
int mpi_ranks_named_by_launcher();

}  // namespace nl
