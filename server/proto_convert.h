// Conversions between store records and bitsearch.v1 messages.
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_SERVER_PROTO_CONVERT_H_
#define BITSEARCH_SERVER_PROTO_CONVERT_H_

#include "bitsearch/v1/jobs.pb.h"
#include "bitsearch/v1/profiles.pb.h"
#include "bitsearch/v1/worker.pb.h"
#include "server/job_store.h"

namespace bitsearch::server {

void ToProto(const JobRecord& record, bitsearch::v1::Job* job);
void ToProto(const Profile& profile, bitsearch::v1::Profile* out);
LeaseRef FromProto(const bitsearch::v1::LeaseRef& lease);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_PROTO_CONVERT_H_
