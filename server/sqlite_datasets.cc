// SqliteJobStore, part 4: uploaded data sets.
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/sqlite_job_store.h"
#include "server/sqlite_rows.h"

namespace bitsearch::server {
namespace {

DatasetRecord ReadRow(const Statement& stmt, bool with_manifest) {
  DatasetRecord d;
  ReadColumns(stmt, &d.name, &d.digest, &d.size_bytes, &d.files, &d.single_file, &d.created_ms);
  if (with_manifest) d.manifest_json = stmt.ColumnText(6);
  return d;
}

constexpr char kColumns[] = "name, digest, size_bytes, files, single_file, created_ms";

}  // namespace

absl::Status SqliteJobStore::PutDataset(const DatasetRecord& d) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareLocked("INSERT INTO datasets(name, digest, size_bytes, files, single_file, created_ms, manifest) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET digest = excluded.digest, "
                    "size_bytes = excluded.size_bytes, files = excluded.files, single_file = excluded.single_file, "
                    "created_ms = excluded.created_ms, manifest = excluded.manifest"));
  stmt.Bind(1, d.name).Bind(2, d.digest).Bind(3, d.size_bytes).Bind(4, d.files)
      .Bind(5, static_cast<int64_t>(d.single_file)).Bind(6, d.created_ms).Bind(7, d.manifest_json);
  return stmt.Run();
}

absl::StatusOr<DatasetRecord> SqliteJobStore::GetDatasetByName(const std::string& name) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      PrepareLocked(absl::StrCat("SELECT ", kColumns, ", manifest FROM datasets WHERE name = ?")));
  stmt.Bind(1, name);
  return ReadOneRow(stmt, [](const Statement& s) { return ReadRow(s, true); },
                    absl::StrCat("data set \"", name, "\" not found (upload it with `bitsearch datasets upload PATH --name ",
                                 name, "`)"));
}

absl::StatusOr<DatasetRecord> SqliteJobStore::GetDatasetByDigest(const std::string& digest) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt, PrepareLocked(absl::StrCat("SELECT ", kColumns,
                                                                 ", manifest FROM datasets WHERE digest = ? LIMIT 1")));
  stmt.Bind(1, digest);
  return ReadOneRow(stmt, [](const Statement& s) { return ReadRow(s, true); },
                    absl::StrCat("no data set with digest ", digest));
}

absl::StatusOr<std::vector<DatasetRecord>> SqliteJobStore::ListDatasets() {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt, PrepareLocked(absl::StrCat("SELECT ", kColumns, " FROM datasets ORDER BY name")));
  return ReadAllRows(stmt, [](const Statement& s) { return ReadRow(s, false); });
}

}  // namespace bitsearch::server
