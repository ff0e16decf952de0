// Helpers shared by the issue 11 benchmarks (bench_e2e, bench_client, bench_decode): CPU time and
// peak memory from getrusage, and user-space instruction counts from perf_event_open when the
// machine exposes a PMU (many VMs do not: then the count is "n/a", never a made-up number).
#pragma once

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace falcon_bench {

/// CPU seconds (user + system) of this process, every thread included.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

/// CPU seconds of every thread of this process but the calling one: an in-process emulator's
/// workers, when the calling thread is the benchmark's client.
inline double other_threads_cpu_seconds() {
  auto clock = [](clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  return clock(CLOCK_PROCESS_CPUTIME_ID) - clock(CLOCK_THREAD_CPUTIME_ID);
}

/// Peak resident set of this process so far, KiB.
inline long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

/// Counts user-space instructions retired by this process (all threads created after start())
/// while it is running. valid() is false when perf_event_open is refused or unsupported.
class InstructionCounter {
 public:
  InstructionCounter() {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof(attr);
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_kernel = 1;  // perf_event_paranoid 2 (Debian's default) allows user space only
    attr.exclude_hv = 1;
    attr.inherit = 1;  // threads started later are counted too
    fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  }
  ~InstructionCounter() {
    if (fd_ >= 0) close(fd_);
  }
  InstructionCounter(const InstructionCounter&) = delete;
  InstructionCounter& operator=(const InstructionCounter&) = delete;

  bool valid() const { return fd_ >= 0; }
  void start() {
    if (fd_ < 0) return;
    ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
    ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
  }
  /// Instructions since start(), or nullopt when not available.
  std::optional<std::uint64_t> stop() {
    if (fd_ < 0) return std::nullopt;
    ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
    std::uint64_t n = 0;
    if (read(fd_, &n, sizeof(n)) != static_cast<ssize_t>(sizeof(n))) return std::nullopt;
    return n;
  }

 private:
  int fd_ = -1;
};

/// Median of a non-empty sample (mean of the middle two for an even count); 0 when empty.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace falcon_bench
