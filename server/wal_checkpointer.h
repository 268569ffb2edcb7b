// Background WAL checkpoints for the job store. SQLite's automatic checkpoint runs inside the
// COMMIT that crosses the threshold, fsyncing the WAL and the database while the store's mutex is
// held: every call queued behind it waits (the p99 of submit+get). This thread checkpoints
// PASSIVE-ly on a connection of its own instead, which never blocks the writer, so commits only
// append to the WAL. The store keeps a high automatic threshold as a safety net.
//
// Thread-safety: Start/Stop from the owner's thread; the work runs on the checkpointer's thread.
#ifndef BITSEARCH_SERVER_WAL_CHECKPOINTER_H_
#define BITSEARCH_SERVER_WAL_CHECKPOINTER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/sqlite_db.h"

namespace bitsearch::server {

class WalCheckpointer {
 public:
  // Opens a second connection to `path` and checkpoints every `interval_ms`.
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Start(const std::string& path,
                                                                int interval_ms);
  ~WalCheckpointer();

  // Stops the thread and closes its connection; idempotent.
  void Stop();
  // Checkpoints run so far.
  int64_t runs() const;

 private:
  WalCheckpointer(std::unique_ptr<SqliteDb> db, int interval_ms)
      : db_(std::move(db)), interval_ms_(interval_ms) {}
  void Loop();

  std::unique_ptr<SqliteDb> db_;  // used by the thread only, closed after it joined
  const int interval_ms_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t runs_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_WAL_CHECKPOINTER_H_
