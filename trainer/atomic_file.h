// Crash-safe file replacement: write to a temp file beside the target, fsync it, rename it
// over the target, fsync the directory. A reader sees the old file or the complete new one.
#ifndef AUGUR_TRAINER_ATOMIC_FILE_H_
#define AUGUR_TRAINER_ATOMIC_FILE_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"

namespace augur::trainer {

// Appends bytes to the file being written; returns false on an I/O error.
using ByteSink = std::function<bool(const void* data, size_t bytes)>;

// Calls `write(sink)` to produce the content, then commits it atomically at `path`.
// Errors: INTERNAL (I/O), or whatever `write` returns; on error the target is untouched.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<absl::Status(const ByteSink&)>& write);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_ATOMIC_FILE_H_
