// The OpenMP wait policy `generate`, `chat` and `bench generate` run under. Decoding wants
// OMP_WAIT_POLICY=passive: the prompt's prefill runs OpenBLAS on OpenMP threads, and with
// libgomp's default policy those keep spinning afterwards on the cores that the decode steps' own
// helper threads need (README, "Generation speed": 1,140 against 907 tokens/s on stories15M with
// two threads). libgomp reads the policy once, when it is loaded, before main() runs; so a process
// that must change it starts itself again with the variable set. A policy the caller set is
// always kept.
#pragma once

#include <string>
#include <string_view>

namespace bytegrad::tools {

// Whether `command` (with its first argument, for `bench generate`) decodes and so prefers a
// passive wait policy.
bool prefers_passive_wait_policy(std::string_view command, std::string_view first_argument = "");

// When the command prefers a passive policy and the environment sets none, replaces this process
// by the same program and arguments with OMP_WAIT_POLICY=passive (execv of /proc/self/exe), and
// notes in the environment that the caller had set none. Returns when nothing needs to change, or
// when the restart fails (the command then runs as it is: a slower decode, never an error).
void restart_with_preferred_wait_policy(int argc, char** argv);

// The shell words that give a program started from here the wait policy this process's caller
// had: "env -u OMP_WAIT_POLICY " when the caller set none and this process set passive for
// itself, else "". `bench generate` starts llama2.c's programs this way: each program decodes
// with the policy it runs best with, ours passive, run.c with libgomp's default (whose threads
// spin between its products, which pays on an idle machine: README, "Generation speed").
std::string caller_wait_policy_prefix();

}  // namespace bytegrad::tools
