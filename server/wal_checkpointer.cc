#include "server/wal_checkpointer.h"

#include <cstdio>

#include "absl/time/time.h"
#include "base/status_macros.h"

namespace bitsearch::server {

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& path,
                                                                        int interval_ms) {
  BS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(std::move(db), interval_ms));
  c->thread_ = std::thread([raw = c.get()] { raw->Loop(); });
  return c;
}

WalCheckpointer::~WalCheckpointer() { Stop(); }

void WalCheckpointer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (db_ != nullptr) (void)db_->Close();
}

int64_t WalCheckpointer::runs() const {
  absl::MutexLock lock(&mu_);
  return runs_;
}

void WalCheckpointer::Loop() {
  bool logged = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(interval_ms_));
      if (stopping_) return;
    }
    absl::Status st = db_->CheckpointPassive();
    absl::MutexLock lock(&mu_);
    ++runs_;
    if (!st.ok() && !logged) {  // the automatic checkpoint still bounds the WAL
      std::fprintf(stderr, "bitsearch-server: background WAL checkpoint: %s\n",
                   std::string(st.message()).c_str());
      logged = true;
    }
  }
}

}  // namespace bitsearch::server
