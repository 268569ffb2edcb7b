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
  job->set_sweep_id(r.sweep_id);
  job->set_kind(r.kind == JobKind::kPretrain ? bitsearch::v1::JOB_KIND_PRETRAIN
                                             : bitsearch::v1::JOB_KIND_SEARCH);
  job->set_depends_on(r.depends_on);
  job->set_settings_json(r.settings_json);
}

void ToProto(const Profile& p, bitsearch::v1::Profile* out) {
  out->set_name(p.name);
  out->set_format(p.format);
  out->set_content(p.content);
  out->set_updated_unix_ms(p.updated_ms);
  out->set_size_bytes(p.size_bytes);
}

void ToProto(const JobEvent& e, bitsearch::v1::JobEvent* out) {
  out->set_job_id(e.job_id);
  out->set_sequence(e.sequence);
  out->set_unix_ms(e.unix_ms);
  out->set_type(static_cast<bitsearch::v1::JobEvent::Type>(e.type));
  if (e.state) out->set_state(static_cast<bitsearch::v1::JobState>(*e.state));
  out->set_phase(e.phase);
  out->set_total_steps(e.total_steps);
  out->set_seconds(e.seconds);
  out->set_message(e.message);
  out->set_attempt(e.attempt);
  if (e.progress) {
    const JobProgress& p = *e.progress;
    bitsearch::v1::Progress* q = out->mutable_progress();
    q->set_phase(p.phase);
    q->set_epoch(p.epoch);
    q->set_epochs(p.epochs);
    q->set_step(p.step);
    q->set_total_steps(p.total_steps);
    q->set_loss(p.loss);
    q->set_accuracy(p.accuracy);
    q->set_expected_weight_bits(p.expected_weight_bits);
    q->set_expected_act_bits(p.expected_act_bits);
    q->set_relative_bops_percent(p.relative_bops_percent);
    q->set_resumed(p.resumed);
  }
}

void ToProto(const LeaseRef& lease, bitsearch::v1::LeaseRef* out) {
  out->set_worker_id(lease.worker_id);
  out->set_job_id(lease.job_id);
  out->set_attempt(lease.attempt);
  out->set_token(lease.token);
}

LeaseRef FromProto(const bitsearch::v1::LeaseRef& lease) {
  return LeaseRef{lease.worker_id(), lease.job_id(), lease.attempt(), lease.token()};
}

JobEvent FromProto(const bitsearch::v1::JobEvent& in) {
  JobEvent e;
  e.job_id = in.job_id();
  e.sequence = in.sequence();
  e.unix_ms = in.unix_ms();
  int type = static_cast<int>(in.type());
  e.type = type >= 1 && type <= 5 ? static_cast<JobEvent::Type>(type) : JobEvent::Type::kUnspecified;
  if (in.state() >= bitsearch::v1::JOB_STATE_QUEUED &&
      in.state() <= bitsearch::v1::JOB_STATE_CANCELLED) {
    e.state = static_cast<JobState>(in.state());
  }
  e.phase = in.phase();
  e.total_steps = in.total_steps();
  e.seconds = in.seconds();
  e.message = in.message();
  e.attempt = in.attempt();
  if (in.has_progress()) {
    const bitsearch::v1::Progress& q = in.progress();
    JobProgress p;
    p.phase = q.phase();
    p.epoch = q.epoch();
    p.epochs = q.epochs();
    p.step = q.step();
    p.total_steps = q.total_steps();
    p.loss = q.loss();
    p.accuracy = q.accuracy();
    p.expected_weight_bits = q.expected_weight_bits();
    p.expected_act_bits = q.expected_act_bits();
    p.relative_bops_percent = q.relative_bops_percent();
    p.resumed = q.resumed();
    e.progress = std::move(p);
  }
  return e;
}

std::vector<ExportedFile> FromProto(
    const google::protobuf::RepeatedPtrField<bitsearch::v1::ExportedFile>& files) {
  std::vector<ExportedFile> out;
  out.reserve(files.size());
  for (const auto& f : files) out.push_back(ExportedFile{f.name(), f.data()});
  return out;
}

std::string EncodeEvent(const JobEvent& event) {
  bitsearch::v1::JobEvent proto;
  ToProto(event, &proto);
  return proto.SerializeAsString();
}

std::optional<JobEvent> DecodeEvent(const std::string& bytes) {
  bitsearch::v1::JobEvent proto;
  if (!proto.ParseFromString(bytes)) return std::nullopt;
  return FromProto(proto);
}

}  // namespace bitsearch::server
