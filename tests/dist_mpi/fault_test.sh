#!/usr/bin/env bash
# A rank that dies, is killed, throws or stalls ends the whole 2-rank job with an error within
# a bounded time: Open MPI's mpirun ends the job when a rank exits without finalizing MPI, and
# the communicator's watchdog aborts it when a rank merely stops calling collectives.
#   fault_test.sh MPIRUN_SH MPIRUN DIST_FAULT
set -uo pipefail
mpirun_sh=$1 mpirun=$2 program=$3
status=0
for mode in die kill throw stall; do
  start=$(date +%s.%N)
  output=$(BYTEGRAD_MPI_TEST_TIMEOUT=120 bash "$mpirun_sh" "$mpirun" 2 "$program" "$mode" 3 2>&1)
  code=$?
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  echo "$mode: exit $code after ${seconds}s"
  # 124: the time limit of mpirun.sh ended it (mpirun's own 137 is a rank killed by SIGKILL).
  if [ $code -eq 0 ] || [ $code -eq 124 ]; then
    echo "FAIL: $mode: the job should end with an error of its own, not exit $code"; echo "$output"; status=1
  elif (( $(echo "$seconds > 60" | bc) )); then
    echo "FAIL: $mode: the job took ${seconds}s to end"; status=1
  elif echo "$output" | grep -q "rank 0 finished normally"; then
    echo "FAIL: $mode: rank 0 completed a collective that rank 1 never joined"; echo "$output"; status=1
  fi
  if [ "$mode" = stall ] && ! echo "$output" | grep -q "all_reduce .*did not complete within 3 s"; then
    echo "FAIL: stall: the watchdog's message is missing"; echo "$output"; status=1
  fi
done
exit $status
