// Schema of the server database and its migrations. The schema version lives in
// `PRAGMA user_version`; each migration runs once, in order, inside one transaction.
//
// Thread-safety: call once at startup, before the database is shared.
#ifndef BITSEARCH_SERVER_MIGRATIONS_H_
#define BITSEARCH_SERVER_MIGRATIONS_H_

#include "absl/status/status.h"
#include "server/sqlite_db.h"

namespace bitsearch::server {

// The schema version this build writes.
int LatestSchemaVersion();

// Brings `db` up to LatestSchemaVersion(); refuses a database written by a newer build.
absl::Status Migrate(SqliteDb* db);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_MIGRATIONS_H_
