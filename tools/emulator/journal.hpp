// The store's persistence (`--state FILE`): a snapshot (the state file, one JSON document) plus
// an append-only journal (<state file>.journal) of the records each write changed, one JSON
// line per write, folded into a new snapshot once it outgrows it. A line is durable
// (fdatasync) before the write it records is acknowledged; a line that could not be made
// durable is cut off again, so the journal only ever holds whole lines of acknowledged writes
// and the emulator always starts again from it.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace falcon::emulator {

/// The file operations persistence uses. Tests install their own (ScopedFileOps) to inject
/// failures such as ENOSPC; each returns what the system call does (-1 and errno on failure).
class FileOps {
 public:
  virtual ~FileOps() = default;
  virtual ssize_t write(int fd, const void* data, std::size_t n);
  virtual int fsync(int fd);
  virtual int fdatasync(int fd);
  virtual int ftruncate(int fd, off_t length);
};

/// The FileOps in force (the system's unless a ScopedFileOps is alive).
FileOps& file_ops();

/// Installs `ops` for persistence in this process while it lives (tests only).
class ScopedFileOps {
 public:
  explicit ScopedFileOps(FileOps& ops);
  ~ScopedFileOps();
  ScopedFileOps(const ScopedFileOps&) = delete;
  ScopedFileOps& operator=(const ScopedFileOps&) = delete;

 private:
  FileOps* previous_;
};

/// A write that could not be made durable; what() says why. Nothing of it was kept.
class PersistError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The state file and its journal. Not thread-safe: the store calls it under its lock.
class StateFiles {
 public:
  /// Journal bytes that trigger a compaction: the larger of this and the last snapshot's size.
  static constexpr std::size_t kMinCompactBytes = 4 * 1024 * 1024;

  struct Stats {
    std::uint64_t journal_appends = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t journal_bytes = 0;  ///< since the last snapshot
  };

  /// `state_file` empty: nothing is persisted and every call below does nothing.
  explicit StateFiles(std::string state_file);
  ~StateFiles();
  StateFiles(const StateFiles&) = delete;
  StateFiles& operator=(const StateFiles&) = delete;

  bool enabled() const { return !state_file_.empty(); }

  /// Checks the folder exists and is writable, removes temporary files an earlier crash left,
  /// then calls `put` with each record of the snapshot (from_journal false; an empty file
  /// counts as no records) and of each whole journal line, in order. A torn last line (a write
  /// never acknowledged) is cut off. Throws std::runtime_error when the folder is unusable or
  /// a file cannot be read or is not one this emulator wrote; `put` may throw the same.
  /// Returns true when the journal held anything (a compaction is then due).
  bool load(const std::function<void(const nlohmann::json& rec, bool from_journal)>& put);

  /// Appends `line` (one JSON document, no newline) and makes it durable. When that fails the
  /// journal is cut back to its length before (or, if even that fails, is cut before the next
  /// append) and PersistError is thrown.
  void append(const std::string& line);

  /// True when the journal has outgrown the snapshot.
  bool should_compact() const;

  /// Writes a new snapshot, then empties the journal. `next` appends the JSON text of one
  /// record to its argument and returns true, or returns false when there are no more.
  /// Throws PersistError; the old snapshot and journal stay as they were then.
  void snapshot(const std::function<bool(std::string&)>& next);

  Stats stats() const { return stats_; }

 private:
  void open_journal();
  // Cuts the journal back to good_bytes_ when a failed append left bytes past it.
  bool cut_torn_tail();

  std::string state_file_;
  std::string journal_file_;
  int journal_fd_ = -1;
  std::size_t snapshot_bytes_ = 0;
  std::uint64_t good_bytes_ = 0;  // journal length holding only whole, durable lines
  bool torn_ = false;             // bytes past good_bytes_ may be in the file
  Stats stats_;
};

}  // namespace falcon::emulator
