#include "client/bench_load_command.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bitsearch/v1/jobs.grpc.pb.h"
#include "client/service_client.h"

namespace bitsearch {
namespace {

namespace v1 = ::bitsearch::v1;
using Clock = std::chrono::steady_clock;

constexpr char kBenchSpec[] =
    R"({"name":"bench","model":"lenet5","dataset":{"name":"synthetic","synthetic_train":512,)"
    R"("synthetic_test":128},"pretrain":{"epochs":1},"search":{"epochs":1},"finetune":{"epochs":1}})";

struct BenchArgs {
  int clients = 1;
  int requests = 200;
  int preload = 0;
  std::string spec_path;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

void BenchLoad(const Connection& conn, const BenchArgs& args) {
  if (args.clients <= 0 || args.requests <= 0) Die("--clients and --requests must be positive", 2);
  std::string spec = args.spec_path.empty() ? kBenchSpec : ReadFileOrDie(args.spec_path, "spec");
  ServiceClient client(conn);
  auto run = [&](int threads, int per_thread, bool timed, std::vector<double>* submit_ms,
                 std::vector<double>* get_ms, std::atomic<int>* errors, std::string* first_error) {
    std::vector<std::thread> pool;
    std::vector<std::vector<double>> s(threads), g(threads);
    std::mutex error_mu;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        auto stub = v1::JobService::NewStub(client.NewChannel());
        for (int i = 0; i < per_thread; ++i) {
          v1::SubmitJobRequest req;
          req.set_spec_json(spec);
          v1::SubmitJobResponse resp;
          auto t0 = Clock::now();
          grpc::Status st = stub->SubmitJob(client.Ctx().get(), req, &resp);
          auto t1 = Clock::now();
          if (st.ok()) {
            v1::GetJobRequest get;
            get.set_job_id(resp.job().id());
            v1::Job job;
            st = stub->GetJob(client.Ctx().get(), get, &job);
          }
          auto t2 = Clock::now();
          if (!st.ok()) {
            if (errors->fetch_add(1) == 0) {
              std::lock_guard<std::mutex> lock(error_mu);
              *first_error = client.Describe(st);
            }
            continue;
          }
          if (timed) {
            s[t].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            g[t].push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    for (int t = 0; t < threads; ++t) {
      submit_ms->insert(submit_ms->end(), s[t].begin(), s[t].end());
      get_ms->insert(get_ms->end(), g[t].begin(), g[t].end());
    }
  };
  std::atomic<int> errors{0};
  std::string first_error;
  std::vector<double> submit_ms, get_ms;
  if (args.preload > 0) {
    int threads = 16;
    std::printf("bench-load: preloading %d jobs...\n", args.preload);
    std::fflush(stdout);
    run(threads, (args.preload + threads - 1) / threads, false, &submit_ms, &get_ms, &errors,
        &first_error);
    if (errors > 0) Die(absl::StrCat("preload failed: ", first_error));
  }
  auto start = Clock::now();
  run(args.clients, args.requests, true, &submit_ms, &get_ms, &errors, &first_error);
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  if (submit_ms.empty()) Die(absl::StrCat("every request failed: ", first_error));
  std::vector<double> both = submit_ms;
  both.insert(both.end(), get_ms.begin(), get_ms.end());
  size_t pairs = submit_ms.size();
  std::printf("bench-load: %d clients x %d submit+get against %s\n", args.clients, args.requests,
              client.server().c_str());
  std::printf("throughput: %.1f submit+get/s (%.1f RPC/s) over %.2f s, %d errors\n",
              pairs / wall, 2 * pairs / wall, wall, errors.load());
  std::printf("%-10s %9s %9s %9s\n", "latency", "p50 ms", "p99 ms", "max ms");
  for (auto [name, v] : {std::pair<const char*, std::vector<double>*>{"submit", &submit_ms},
                         {"get", &get_ms}, {"all", &both}}) {
    double max = *std::max_element(v->begin(), v->end());
    double p50 = Percentile(*v, 0.50);
    double p99 = Percentile(*v, 0.99);
    std::printf("%-10s %9.3f %9.3f %9.3f\n", name, p50, p99, max);
  }
  if (errors > 0) Die(absl::StrCat(errors.load(), " requests failed; first: ", first_error));
}

}  // namespace

void AddBenchLoadCommand(CLI::App& app, std::shared_ptr<ConnectionFlags> connection) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* bench = app.add_subcommand("bench-load", "load generator: N clients doing submit+get");
  bench->add_option("--clients", args->clients, "concurrent clients")->capture_default_str();
  bench->add_option("--requests", args->requests, "submit+get pairs per client")->capture_default_str();
  bench->add_option("--preload", args->preload, "jobs to submit first (untimed)")->capture_default_str();
  bench->add_option("--spec", args->spec_path, "spec to submit (default: a small lenet5 job)");
  AddConnectionOptions(bench, connection);
  bench->callback([connection, args] { BenchLoad(*connection, *args); });
}

}  // namespace bitsearch
