#!/usr/bin/env bash
# Runs a program on RANKS processes of this machine, whatever its core count and user:
#   mpirun.sh MPIRUN RANKS PROGRAM [ARGS...]
# --oversubscribe: more ranks than cores is allowed (CI has 2 cores shared with other work);
# --bind-to none: ranks are not pinned, so two ranks never share one core while another idles;
# running as root needs Open MPI's explicit consent. `timeout` bounds the whole job, so that even
# a hang the communicator's watchdog misses fails the test instead of stalling CI.
set -euo pipefail
mpirun=$1 ranks=$2
shift 2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One rank's OpenMP threads per core share: two ranks on two cores with two threads each would
# fight over the cores, and OpenMP's busy-waiting threads would starve the ranks' own polling.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# Under AddressSanitizer (tools/sanitize.sh) MPI jobs are not checked for leaks: Open MPI's plugins
# allocate memory they never free and are unloaded before LeakSanitizer looks, so its reports name
# no module a suppression could match. Every other check stays on.
if [[ -n ${ASAN_OPTIONS:-} ]]; then export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"; fi
exec timeout --kill-after=10 "${BYTEGRAD_MPI_TEST_TIMEOUT:-300}" \
  "$mpirun" -np "$ranks" --oversubscribe --bind-to none "$@"
