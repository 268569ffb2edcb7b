#include "server/proto_convert.h"

namespace bitsearch::server {

void ToProto(const JobRecord& r, bitsearch::v1::Job* job) {
  job->set_id(r.id);
  job->set_name(r.name);
  job->set_state(static_cast<bitsearch::v1::JobState>(r.state));
  job->set_spec_json(r.spec_json);
  job->set_client_request_id(r.client_request_id);
  job->set_created_unix_ms(r.created_ms);
  job->set_started_unix_ms(r.started_ms);
  job->set_finished_unix_ms(r.finished_ms);
  job->set_attempt(r.attempt);
  job->set_worker_id(r.lease_owner);
  job->set_error(r.error);
  job->set_phase(r.phase);
  job->set_last_sequence(r.last_sequence);
  job->set_has_result(r.has_result);
  job->set_cancel_requested(r.cancel_requested);
  job->set_has_model(!r.model_blob.empty());
}

void ToProto(const Profile& p, bitsearch::v1::Profile* out) {
  out->set_name(p.name);
  out->set_format(p.format);
  out->set_content(p.content);
  out->set_updated_unix_ms(p.updated_ms);
  out->set_size_bytes(p.size_bytes);
}

LeaseRef FromProto(const bitsearch::v1::LeaseRef& lease) {
  return LeaseRef{lease.worker_id(), lease.job_id(), lease.attempt()};
}

}  // namespace bitsearch::server
