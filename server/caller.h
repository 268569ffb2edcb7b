// Who is calling, as authentication established it (auth.h), for the core to decide what the
// caller may see and do (job ownership).
//
// Thread-safety: plain values.
#ifndef BITSEARCH_SERVER_CALLER_H_
#define BITSEARCH_SERVER_CALLER_H_

#include <string>

namespace bitsearch::server {

enum class Role { kClient, kWorker };

struct Caller {
  Role role = Role::kClient;
  // A stable, non-secret name of the caller's token ("" when authentication is off): the owner
  // recorded on the jobs it submits.
  std::string principal;
  // An admin client token sees and cancels every client's jobs (and any token does while
  // ownership is off).
  bool admin = false;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_CALLER_H_
