#!/usr/bin/env bash
# An example Slurm job for a monthly release batch: 2 nodes, one MPI rank per node, OpenMP
# threads inside each rank. Submit with: sbatch scripts/slurm-example.sh configs/china-viirs-monthly.yaml
#SBATCH --job-name=nightlights
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1          # one rank per node …
#SBATCH --cpus-per-task=32           # … using every core through OpenMP
#SBATCH --mem=8G                     # per node; the engine streams windows (see README: memory)
#SBATCH --time=02:00:00
#SBATCH --signal=TERM@120            # a SIGTERM 2 min before the limit: tables stay whole, the next job resumes
set -euo pipefail
config="${1:?usage: sbatch scripts/slurm-example.sh CONFIG.yaml}"
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
export OMP_PROC_BIND=close OMP_PLACES=cores
# A shared coverage cache: written atomically by rank 0, read by every rank and every later job.
export NIGHTLIGHTS_CACHE_DIR="${NIGHTLIGHTS_CACHE_DIR:-$HOME/.cache/nightlights}"
# srun starts the ranks with the site's MPI (MPICH/PMI here). With OpenMPI's mpirun instead, add
# --bind-to none (or --map-by node:PE=$OMP_NUM_THREADS), else each rank is bound to one core.
srun --mpi=pmi2 nightlights run "$config"
