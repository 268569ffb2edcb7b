// SqliteJobStore, part 3: latency profiles.
#include "absl/strings/str_cat.h"
#include "server/sqlite_job_store.h"
#include "server/sqlite_rows.h"
#include "base/status_macros.h"

namespace bitsearch::server {

absl::Status SqliteJobStore::PutProfile(const Profile& profile, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      PrepareLocked("INSERT INTO profiles(name, format, content, updated_ms) VALUES (?, ?, ?, ?) "
                                    "ON CONFLICT(name) DO UPDATE SET format = excluded.format, "
                                    "content = excluded.content, updated_ms = excluded.updated_ms"));
  stmt.Bind(1, profile.name).Bind(2, profile.format).Bind(3, profile.content).Bind(4, now_ms);
  return stmt.Run();
}

absl::StatusOr<Profile> SqliteJobStore::GetProfile(const std::string& name) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt, PrepareLocked("SELECT name, format, content, updated_ms FROM profiles "
                                                    "WHERE name = ?"));
  stmt.Bind(1, name);
  return ReadOneRow(
      stmt,
      [](const Statement& s) {
        Profile p{s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnInt(3), 0};
        p.size_bytes = static_cast<int64_t>(p.content.size());
        return p;
      },
      absl::StrCat("profile ", name, " not found"));
}

absl::StatusOr<std::vector<Profile>> SqliteJobStore::ListProfiles() {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt, PrepareLocked("SELECT name, format, updated_ms, length(content) FROM profiles "
                                                    "ORDER BY name"));
  return ReadAllRows(stmt, [](const Statement& s) {
    return Profile{s.ColumnText(0), s.ColumnText(1), "", s.ColumnInt(2), s.ColumnInt(3)};
  });
}

}  // namespace bitsearch::server
