#include "latency_models/host_profiler/host_profiler.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <tuple>
#include <memory>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "latency_models/host_profiler/sub_byte.h"

namespace bitsearch {
namespace {

using Clock = std::chrono::steady_clock;
using ConvParams = c10::intrusive_ptr<ConvPackedParamsBase<2>>;
using LinearParams = c10::intrusive_ptr<LinearPackedParamsBase>;

constexpr double kActScale = 0.05;
constexpr double kWeightScale = 0.02;
constexpr double kOutScale = 0.1;

bool IsHostBitWidth(int bits) {
  return bits == 2 || bits == 4 || bits == 8 || bits == 16 || bits == 32;
}

std::string EngineName(at::QEngine e) { return absl::AsciiStrToLower(c10::toString(e)); }

// Restores LibTorch's process-wide settings when the measurement ends, however it ends.
class TorchSettingsGuard {
 public:
  TorchSettingsGuard()
      : threads_(at::get_num_threads()), qengine_(at::globalContext().qEngine()) {}
  ~TorchSettingsGuard() {
    at::set_num_threads(threads_);
    at::globalContext().setQEngine(qengine_);
  }
  TorchSettingsGuard(const TorchSettingsGuard&) = delete;
  TorchSettingsGuard& operator=(const TorchSettingsGuard&) = delete;

 private:
  int threads_;
  at::QEngine qengine_;
};

absl::StatusOr<at::QEngine> PickEngine(const std::string& wanted) {
  const std::vector<at::QEngine>& supported = at::globalContext().supportedQEngines();
  std::vector<std::string> names;
  for (at::QEngine e : supported) {
    if (e != at::QEngine::NoQEngine) names.push_back(EngineName(e));
  }
  if (!wanted.empty()) {
    for (at::QEngine e : supported) {
      if (e != at::QEngine::NoQEngine && EngineName(e) == absl::AsciiStrToLower(wanted)) return e;
    }
    return absl::InvalidArgumentError(absl::StrCat("quantized engine '", wanted,
                                                   "' is not in this LibTorch build (available: ",
                                                   absl::StrJoin(names, ", "), ")"));
  }
  // FBGEMM and oneDNN are the x86 server kernels; QNNPACK targets mobile ARM.
  for (at::QEngine e : {at::QEngine::FBGEMM, at::QEngine::ONEDNN, at::QEngine::QNNPACK}) {
    if (std::find(supported.begin(), supported.end(), e) != supported.end()) return e;
  }
  return absl::FailedPreconditionError(
      "this LibTorch build has no quantized engine (FBGEMM, oneDNN or QNNPACK)");
}

std::string HostName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::string cpu = "unknown CPU";
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) cpu = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      break;
    }
  }
  return absl::StrCat(cpu, ", LibTorch ", TORCH_VERSION);
}

// Unpacks `n` sub-byte values into `out` on LibTorch's intra-op pool, in whole packed bytes.
template <typename Out>
void ParallelUnpack(const std::vector<uint8_t>& packed, int64_t n, int bits, Out* out) {
  const int64_t per_byte = 8 / bits;
  at::parallel_for(0, static_cast<int64_t>(packed.size()), 16384, [&](int64_t b0, int64_t b1) {
    const int64_t v0 = b0 * per_byte;
    const int64_t v1 = std::min(n, b1 * per_byte);
    if constexpr (std::is_same_v<Out, int8_t>) {
      UnpackSigned(packed.data() + b0, v1 - v0, bits, out + v0);
    } else {
      UnpackUnsigned(packed.data() + b0, v1 - v0, bits, out + v0);
    }
  });
}

template <typename In>
void ToFloat(const In* in, int64_t n, float scale, float* out) {
  at::parallel_for(0, n, 32768, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = static_cast<float>(in[i]) * scale;
  });
}

// One operand (activation or weight) stored the way a device holds it at `bits`: float at 32,
// bf16 at 16, an 8-bit quantized tensor at 8, packed bytes (plus the 8-bit tensor they unpack
// into) at 4 and 2.
class Operand {
 public:
  Operand(std::vector<int64_t> shape, int bits, bool is_weight, bool channels_last)
      : bits_(bits), is_weight_(is_weight) {
    const auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
    if (bits >= 16) {
      at::Tensor f = torch::randn(shape).contiguous(format);
      stored_float_ = bits == 16 ? f.to(at::kBFloat16) : f;
      return;
    }
    // Weights are symmetric signed, activations non-negative (they follow ReLU/clip).
    const int64_t lo = is_weight ? -(int64_t{1} << (bits - 1)) : 0;
    const int64_t hi = is_weight ? (int64_t{1} << (bits - 1)) : (int64_t{1} << bits);
    at::Tensor ints = torch::randint(lo, hi, shape, torch::kInt32).contiguous(format);
    quantized_ = is_weight ? at::_make_per_tensor_quantized_tensor(ints.to(at::kChar), kWeightScale, 0)
                           : at::_make_per_tensor_quantized_tensor(ints.to(at::kByte), kActScale, 0);
    quantized_ = quantized_.contiguous(format);
    n_ = quantized_.numel();
    if (bits < 8) {
      const void* raw = quantized_.data_ptr();
      packed_ = is_weight ? PackSigned(static_cast<const int8_t*>(raw), n_, bits)
                          : PackUnsigned(static_cast<const uint8_t*>(raw), n_, bits);
    }
  }

  int bits() const { return bits_; }

  // The 8-bit quantized tensor, unpacking the packed bytes into it first when bits < 8.
  const at::Tensor& AsInt8() {
    if (bits_ < 8) {
      if (is_weight_) {
        ParallelUnpack(packed_, n_, bits_, static_cast<int8_t*>(quantized_.data_ptr()));
      } else {
        ParallelUnpack(packed_, n_, bits_, static_cast<uint8_t*>(quantized_.data_ptr()));
      }
    }
    return quantized_;
  }

  // The operand in the float kernel's dtype, converted now (real per-call work) unless it is
  // already stored in that dtype.
  at::Tensor AsFloat(at::ScalarType dtype) {
    if (bits_ >= 16) {
      return stored_float_.scalar_type() == dtype ? stored_float_ : stored_float_.to(dtype);
    }
    // x * scale (zero points are 0) in a plain loop the compiler vectorises; LibTorch 1.13's
    // dequantize() is a scalar loop some 20x slower, which would charge the conversion to
    // LibTorch rather than to the bit width.
    const at::Tensor& q = AsInt8();
    at::Tensor f = at::empty_strided(q.sizes(), q.strides(), at::kFloat);
    float* out = f.data_ptr<float>();
    const float scale = static_cast<float>(q.q_scale());
    if (is_weight_) {
      ToFloat(static_cast<const int8_t*>(q.data_ptr()), n_, scale, out);
    } else {
      ToFloat(static_cast<const uint8_t*>(q.data_ptr()), n_, scale, out);
    }
    return dtype == at::kFloat ? f : f.to(dtype);
  }

 private:
  int bits_;
  bool is_weight_;
  at::Tensor stored_float_;
  at::Tensor quantized_;
  int64_t n_ = 0;
  std::vector<uint8_t> packed_;
};

std::vector<int64_t> InputShape(const LayerSignature& s) {
  if (s.type == "linear") return {1, s.in_channels};
  return {1, s.in_channels, s.in_h, s.in_w};
}

std::vector<int64_t> WeightShape(const LayerSignature& s) {
  if (s.type == "linear") return {s.out_channels, s.in_channels};
  return {s.out_channels, s.in_channels / s.groups, s.kernel_h, s.kernel_w};
}

std::string UnpackNote(int act_bits, int weight_bits) {
  std::string note;
  if (weight_bits < 8) absl::StrAppend(&note, " + unpack w", weight_bits);
  if (act_bits < 8) absl::StrAppend(&note, " + unpack a", act_bits);
  return note;
}

// A callable running one forward pass of a layer at one bit pair, with its description.
struct Case {
  std::function<void()> run;
  std::string kernel;
};

// Builds the cases of one signature. Cases share operands (one per role, bit width and layout)
// and prepacked int8 weights (one per weight bit width), so a large layer is held a few times,
// not once per bit pair; cases run one at a time, so sharing the unpack buffers is safe.
class SignatureBench {
 public:
  SignatureBench(const LayerSignature& s, at::QEngine engine) : s_(s), engine_(engine) {}

  Case Int8(int act_bits, int weight_bits) {
    const bool conv = s_.type == "conv";
    std::shared_ptr<Operand> act = Act(act_bits, conv);
    std::shared_ptr<Operand> weight = Weight(weight_bits);
    const std::string note = UnpackNote(act_bits, weight_bits);
    auto& dispatcher = c10::Dispatcher::singleton();
    if (conv) {
      auto op = dispatcher.findSchemaOrThrow("quantized::conv2d", "new")
                    .typed<at::Tensor(at::Tensor, const ConvParams&, double, int64_t)>();
      ConvParams packed = ConvPacked(weight_bits);
      return {[act, weight, packed, op]() {
                weight->AsInt8();  // the per-call unpack of packed sub-byte weights
                at::Tensor y = op.call(act->AsInt8(), packed, kOutScale, 0);
              },
              absl::StrCat("int8 quantized::conv2d [", EngineName(engine_), "]", note)};
    }
    auto op = dispatcher.findSchemaOrThrow("quantized::linear", "")
                  .typed<at::Tensor(at::Tensor, const LinearParams&, double, int64_t)>();
    LinearParams packed = LinearPacked(weight_bits);
    return {[act, weight, packed, op]() {
              weight->AsInt8();
              at::Tensor y = op.call(act->AsInt8(), packed, kOutScale, 0);
            },
            absl::StrCat("int8 quantized::linear [", EngineName(engine_), "]", note)};
  }

  Case Float(int act_bits, int weight_bits, at::ScalarType dtype) {
    std::shared_ptr<Operand> act = Act(act_bits, false);
    std::shared_ptr<Operand> weight = Weight(weight_bits);
    at::Tensor bias = bias_.to(dtype);
    const std::string what = dtype == at::kFloat ? "fp32" : "bf16";
    std::vector<std::string> converted;
    for (const Operand* o : {act.get(), weight.get()}) {
      const bool native = (o->bits() == 32 && dtype == at::kFloat) ||
                          (o->bits() == 16 && dtype == at::kBFloat16);
      if (!native) {
        converted.push_back(absl::StrCat(o == act.get() ? "a" : "w", o->bits(), "->", what));
      }
    }
    const std::string note =
        converted.empty() ? "" : absl::StrCat(" + convert ", absl::StrJoin(converted, ","));
    const LayerSignature s = s_;
    if (s.type == "conv") {
      return {[act, weight, bias, dtype, s]() {
                at::Tensor y = torch::conv2d(act->AsFloat(dtype), weight->AsFloat(dtype), bias,
                                             {s.stride, s.stride}, {s.padding, s.padding},
                                             {1, 1}, s.groups);
              },
              absl::StrCat(what, " torch::conv2d", note)};
    }
    return {[act, weight, bias, dtype]() {
              at::Tensor y = torch::linear(act->AsFloat(dtype), weight->AsFloat(dtype), bias);
            },
            absl::StrCat(what, " torch::linear", note)};
  }

 private:
  std::shared_ptr<Operand> Act(int bits, bool channels_last) {
    auto& slot = operands_[{false, bits, channels_last}];
    if (!slot) slot = std::make_shared<Operand>(InputShape(s_), bits, false, channels_last);
    return slot;
  }
  std::shared_ptr<Operand> Weight(int bits) {
    auto& slot = operands_[{true, bits, false}];
    if (!slot) slot = std::make_shared<Operand>(WeightShape(s_), bits, true, false);
    return slot;
  }
  ConvParams ConvPacked(int weight_bits) {
    auto it = conv_packed_.find(weight_bits);
    if (it != conv_packed_.end()) return it->second;
    auto prepack = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("quantized::conv2d_prepack", "")
                       .typed<ConvParams(at::Tensor, c10::optional<at::Tensor>,
                                         torch::List<int64_t>, torch::List<int64_t>,
                                         torch::List<int64_t>, int64_t)>();
    ConvParams packed = prepack.call(
        Weight(weight_bits)->AsInt8(), bias_, torch::List<int64_t>({s_.stride, s_.stride}),
        torch::List<int64_t>({s_.padding, s_.padding}), torch::List<int64_t>({1, 1}), s_.groups);
    conv_packed_[weight_bits] = packed;
    return packed;
  }
  LinearParams LinearPacked(int weight_bits) {
    auto it = linear_packed_.find(weight_bits);
    if (it != linear_packed_.end()) return it->second;
    auto prepack = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("quantized::linear_prepack", "")
                       .typed<LinearParams(at::Tensor, c10::optional<at::Tensor>)>();
    LinearParams packed = prepack.call(Weight(weight_bits)->AsInt8(), bias_);
    linear_packed_[weight_bits] = packed;
    return packed;
  }

  LayerSignature s_;
  at::QEngine engine_;
  at::Tensor bias_ = torch::randn({s_.out_channels});
  // Keyed by (is_weight, bits, channels_last).
  std::map<std::tuple<bool, int, bool>, std::shared_ptr<Operand>> operands_;
  std::map<int, ConvParams> conv_packed_;
  std::map<int, LinearParams> linear_packed_;
};

// Warm-up, then the calls per sample: enough that a sample lasts min_sample_seconds.
int WarmAndCalibrate(const std::function<void()>& run, const HostProfilerOptions& options) {
  for (int i = 0; i < options.warmup; ++i) run();
  auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) run();
  const double one = std::chrono::duration<double>(Clock::now() - t0).count() / 3.0;
  if (one > 0 && one < options.min_sample_seconds) {
    return static_cast<int>(std::ceil(options.min_sample_seconds / one));
  }
  return 1;
}

double SampleSeconds(const std::function<void()>& run, int calls) {
  auto start = Clock::now();
  for (int k = 0; k < calls; ++k) run();
  return std::chrono::duration<double>(Clock::now() - start).count() / calls;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

absl::Status ValidateOptions(const HostProfilerOptions& o,
                             const std::vector<std::pair<int, int>>& pairs) {
  if (o.threads < 1) return absl::InvalidArgumentError("threads must be at least 1");
  if (o.warmup < 0) return absl::InvalidArgumentError("warmup must not be negative");
  if (o.repeats < 1) return absl::InvalidArgumentError("repeats must be at least 1");
  if (!(o.min_sample_seconds >= 0)) {
    return absl::InvalidArgumentError("min_sample_seconds must not be negative");
  }
  for (const auto& [a, w] : pairs) {
    if (!IsHostBitWidth(a) || !IsHostBitWidth(w)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bit pair a", a, "/w", w, ": the host profiler measures bit widths 2, 4, 8, 16 and 32"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::pair<int, int>> HostDefaultBitPairs() {
  std::vector<std::pair<int, int>> pairs;
  for (int a : {2, 4, 8, 16, 32}) {
    for (int w : {2, 4, 8, 16, 32}) pairs.emplace_back(a, w);
  }
  return pairs;
}

std::vector<std::string> AvailableQuantizedEngines() {
  std::vector<std::string> names;
  for (at::QEngine e : at::globalContext().supportedQEngines()) {
    if (e != at::QEngine::NoQEngine) names.push_back(EngineName(e));
  }
  return names;
}

absl::StatusOr<HostMeasurement> MeasureSignatures(const std::vector<LayerSignature>& signatures,
                                                  const HostProfilerOptions& options) {
  std::vector<std::pair<int, int>> pairs =
      options.bit_pairs.empty() ? HostDefaultBitPairs() : options.bit_pairs;
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  if (absl::Status st = ValidateOptions(options, pairs); !st.ok()) return st;
  if (signatures.empty()) return absl::InvalidArgumentError("no layer signatures to measure");
  std::set<LayerSignature> unique;
  for (size_t i = 0; i < signatures.size(); ++i) {
    if (absl::Status st = signatures[i].Validate(); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("signature ", i, " (",
                                                     signatures[i].Key(), "): ", st.message()));
    }
    unique.insert(signatures[i]);
  }
  absl::StatusOr<at::QEngine> engine = PickEngine(options.qengine);
  if (!engine.ok()) return engine.status();

  TorchSettingsGuard guard;
  HostMeasurement out;
  out.qengine = EngineName(*engine);
  out.threads = options.threads;
  out.host = HostName();
  const size_t total = unique.size() * pairs.size();
  try {
    at::set_num_threads(options.threads);
    at::globalContext().setQEngine(*engine);
    torch::NoGradGuard no_grad;
    torch::manual_seed(1);
    for (const LayerSignature& s : unique) {
      // Every case of a signature is sampled in turn, repeat after repeat, so a change of load
      // on the machine shifts all bit pairs of the layer alike instead of a few of them.
      SignatureBench bench(s, *engine);
      struct Timed {
        size_t row;
        Case c;
        int calls = 1;
        std::vector<double> samples;
      };
      std::vector<Timed> timed;
      const size_t first_row = out.rows.size();
      for (const auto& [a, w] : pairs) {
        MeasuredRow row;
        row.row.signature = s;
        row.row.act_bits = a;
        row.row.weight_bits = w;
        const size_t index = out.rows.size();
        out.rows.push_back(row);
        if (a <= 8 && w <= 8) {
          timed.push_back({index, bench.Int8(a, w), 1, {}});
        } else if (std::max(a, w) == 32) {
          timed.push_back({index, bench.Float(a, w, at::kFloat), 1, {}});
        } else {  // 16 is the widest: keep the faster of a bf16 kernel and a widened fp32 one
          timed.push_back({index, bench.Float(a, w, at::kBFloat16), 1, {}});
          timed.push_back({index, bench.Float(a, w, at::kFloat), 1, {}});
        }
      }
      for (Timed& t : timed) t.calls = WarmAndCalibrate(t.c.run, options);
      for (int r = 0; r < options.repeats; ++r) {
        for (Timed& t : timed) t.samples.push_back(SampleSeconds(t.c.run, t.calls));
      }
      for (size_t i = 0; i < timed.size(); ++i) {
        const Timed& t = timed[i];
        MeasuredRow& row = out.rows[t.row];
        const double median = Median(t.samples);
        const bool first = i == 0 || timed[i - 1].row != t.row;
        if (first || median < row.row.latency) {
          row.row.latency = median;
          row.min_seconds = *std::min_element(t.samples.begin(), t.samples.end());
          row.calls_per_sample = t.calls;
          row.kernel = t.c.kernel;
        }
      }
      if (options.progress) {
        for (size_t k = first_row + 1; k <= out.rows.size(); ++k) options.progress(k, total);
      }
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("LibTorch kernel failed: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("host measurement failed: ", e.what()));
  }
  return out;
}

std::vector<LatencyRow> LatencyRows(const HostMeasurement& measurement) {
  std::vector<LatencyRow> rows;
  rows.reserve(measurement.rows.size());
  for (const MeasuredRow& r : measurement.rows) rows.push_back(r.row);
  return rows;
}

}  // namespace bitsearch
