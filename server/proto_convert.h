// Conversions between the server's domain types (job_records.h) and bitsearch.v1 messages, and
// the byte encoding of stored events (a serialized bitsearch.v1.JobEvent, so databases written
// by earlier versions read the same).
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_SERVER_PROTO_CONVERT_H_
#define BITSEARCH_SERVER_PROTO_CONVERT_H_

#include <optional>
#include <string>
#include <vector>

#include "bitsearch/v1/jobs.pb.h"
#include "bitsearch/v1/profiles.pb.h"
#include "bitsearch/v1/worker.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "server/job_records.h"

namespace bitsearch::server {

void ToProto(const JobRecord& record, bitsearch::v1::Job* job);
void ToProto(const Profile& profile, bitsearch::v1::Profile* out);
void ToProto(const JobEvent& event, bitsearch::v1::JobEvent* out);
void ToProto(const LeaseRef& lease, bitsearch::v1::LeaseRef* out);
LeaseRef FromProto(const bitsearch::v1::LeaseRef& lease);
JobEvent FromProto(const bitsearch::v1::JobEvent& event);
std::vector<ExportedFile> FromProto(
    const google::protobuf::RepeatedPtrField<bitsearch::v1::ExportedFile>& files);

std::string EncodeEvent(const JobEvent& event);
// nullopt for bytes that are not an encoded event.
std::optional<JobEvent> DecodeEvent(const std::string& bytes);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_PROTO_CONVERT_H_
