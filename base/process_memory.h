// The memory this process holds, as the operating system counts it (Linux /proc): what training
// logs each step, so that a run whose memory creeps up shows it, and what benchmarks compare.
#pragma once

namespace bytegrad {

// Resident set size now, in MiB (pages of this process in RAM). 0 where /proc is unavailable.
double resident_mib();

// The highest resident set size this process has had (VmHWM, the "high water mark"), in MiB.
// 0 where /proc is unavailable.
double peak_resident_mib();

}  // namespace bytegrad
