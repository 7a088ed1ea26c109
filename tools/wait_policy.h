// The OpenMP wait policy `generate` and `chat` run under. Decoding wants OMP_WAIT_POLICY=passive:
// the prompt's prefill runs OpenBLAS on OpenMP threads, and with libgomp's default policy those
// keep spinning afterwards on the cores that the decode steps' own helper threads need (README,
// "Generation speed": 1,140 against 907 tokens/s on stories15M with two threads). libgomp reads
// the policy once, when it is loaded, before main() runs; so a process that must change it starts
// itself again with the variable set. A policy the caller set is always kept.
#pragma once

#include <string_view>

namespace bytegrad::tools {

// Whether `command` decodes and so prefers a passive wait policy.
bool prefers_passive_wait_policy(std::string_view command);

// When `command` prefers a passive policy and the environment sets none, replaces this process
// by the same program and arguments with OMP_WAIT_POLICY=passive (execv of /proc/self/exe).
// Returns when nothing needs to change, or when the restart fails (the command then runs as it
// is: a slower decode, never an error).
void restart_with_preferred_wait_policy(std::string_view command, char** argv);

}  // namespace bytegrad::tools
