// Reading records out of a SqliteJobStore statement, what its parts (jobs, sweeps, leases,
// profiles, data sets) share: the one row a lookup finds, every row, a keyset page (newest
// first), and the row a retried create (same client_request_id) finds.
//
// Thread-safety: as the Statement's (the store's lock held by the caller).
#ifndef BITSEARCH_SERVER_SQLITE_ROWS_H_
#define BITSEARCH_SERVER_SQLITE_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "server/sqlite_db.h"

namespace bitsearch::server {

// Column `col` of the current row into *field, converted by the field's type: text, integer,
// or a 0/1 flag.
inline void ReadColumn(const Statement& s, int col, std::string* field) { *field = s.ColumnText(col); }
inline void ReadColumn(const Statement& s, int col, int64_t* field) { *field = s.ColumnInt(col); }
inline void ReadColumn(const Statement& s, int col, int* field) { *field = static_cast<int>(s.ColumnInt(col)); }
inline void ReadColumn(const Statement& s, int col, bool* field) { *field = s.ColumnInt(col) != 0; }

// The current row's columns 0, 1, 2, ... into `fields`, in the order of the SELECT's column list:
// a row reader is then one list kept in step with that column list, not a column number a field.
template <typename... Fields>
void ReadColumns(const Statement& s, Fields*... fields) {
  int col = 0;
  (ReadColumn(s, col++, fields), ...);
}

// The row `stmt` returns, made by `read(stmt)`; NOT_FOUND with `not_found` when there is none.
template <typename Read, typename Row = std::invoke_result_t<Read, const Statement&>>
absl::StatusOr<Row> ReadOneRow(Statement& stmt, Read read, absl::string_view not_found) {
  BS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::NotFoundError(not_found);
  return read(stmt);
}

// Every row `stmt` returns, each made by `read(stmt)`.
template <typename Read, typename Row = std::invoke_result_t<Read, const Statement&>>
absl::StatusOr<std::vector<Row>> ReadAllRows(Statement& stmt, Read read) {
  std::vector<Row> rows;
  while (true) {
    BS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(read(stmt));
  }
  return rows;
}

// One page of a listing whose statement asked for `limit` + 1 rows (newest first by seq): the
// first `limit` into *rows; when the extra row came, *next_cursor is the last kept row's seq (the
// next page starts below it), else it is left alone.
template <typename Row, typename Read>
absl::Status ReadPage(Statement& stmt, int limit, Read read, std::vector<Row>* rows, int64_t* next_cursor) {
  while (true) {
    BS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (static_cast<int>(rows->size()) == limit) {
      *next_cursor = rows->back().seq;
      break;
    }
    rows->push_back(read(stmt));
  }
  return absl::OkStatus();
}

// A create retried with the same client_request_id: `select` (SQL with one parameter, the
// request id) finds the record made before, which is returned when it is the same owner's with
// the same spec; ALREADY_EXISTS when it is another owner's (never revealed) or was made from
// another spec; nullopt when there is none or `request` has no id. `request` is a NewJob or a
// NewSweep; `kind` ("job", "sweep") names the record in the message.
template <typename New, typename Read, typename Row = std::invoke_result_t<Read, const Statement&>>
absl::StatusOr<std::optional<Row>> FindRetriedCreate(SqliteDb& db, const std::string& select, Read read,
                                                     const New& request, absl::string_view kind) {
  const std::string& request_id = request.client_request_id;
  if (request_id.empty()) return std::optional<Row>();
  BS_ASSIGN_OR_RETURN(Statement find, db.Prepare(select));
  find.Bind(1, request_id);
  BS_ASSIGN_OR_RETURN(bool row, find.Step());
  if (!row) return std::optional<Row>();
  Row existing = read(find);
  if (existing.owner != request.owner) {  // never reveal another client's record
    return absl::AlreadyExistsError(absl::StrCat("client_request_id '", request_id, "' is taken; choose another"));
  }
  if (existing.spec_json != request.spec_json) {
    return absl::AlreadyExistsError(absl::StrCat("client_request_id '", request_id, "' was already used by ", kind,
                                                 " ", existing.id, " with a different spec"));
  }
  return std::optional<Row>(std::move(existing));
}

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_SQLITE_ROWS_H_
