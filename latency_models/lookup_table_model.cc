#include "latency_models/lookup_table_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bitsearch {

absl::StatusOr<std::unique_ptr<LookupTableModel>> LookupTableModel::Create(
    std::string name, std::string unit, const std::vector<LatencyRow>& rows,
    bool allow_fallback) {
  if (rows.empty()) return absl::InvalidArgumentError("latency table has no rows");
  std::unique_ptr<LookupTableModel> m(
      new LookupTableModel(std::move(name), std::move(unit), allow_fallback));
  for (size_t i = 0; i < rows.size(); ++i) {
    const LatencyRow& r = rows[i];
    if (absl::Status st = r.signature.Validate(); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("row ", i, ": ", st.message()));
    }
    if (!(r.latency >= 0.0) || !std::isfinite(r.latency)) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", i, ": latency ", r.latency, " is not a finite number >= 0"));
    }
    auto [it, inserted] = m->table_[r.signature].emplace(std::make_pair(r.act_bits, r.weight_bits),
                                                         r.latency);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("row ", i, ": duplicate entry for ",
                                                     r.signature.Key(), " a", r.act_bits, "/w",
                                                     r.weight_bits));
    }
  }
  return m;
}

absl::StatusOr<LatencyEstimate> LookupTableModel::Estimate(const LayerSignature& s, int act_bits,
                                                           int weight_bits) const {
  const std::pair<int, int> bits{act_bits, weight_bits};
  auto it = table_.find(s);
  if (it != table_.end()) {
    auto jt = it->second.find(bits);
    if (jt != it->second.end()) return LatencyEstimate{jt->second, false, ""};
  }
  if (!allow_fallback_) {
    return absl::NotFoundError(absl::StrCat(
        "profile '", name_, "' has no measurement for ", s.Key(), " at a", act_bits, "/w",
        weight_bits, it == table_.end() ? " (shape not in the table)" : " (bit pair not measured)",
        "; measure it (profiles export-spec) or enable the nearest-signature fallback"));
  }
  // Nearest measured signature: same type and bit pair required; a mismatch in depthwise-ness,
  // kernel or stride weighs more than any MAC ratio, since those change the kernel used.
  const LayerSignature* best = nullptr;
  double best_latency = 0.0;
  double best_distance = std::numeric_limits<double>::infinity();
  const double macs = static_cast<double>(s.Macs());
  for (const auto& [sig, bit_table] : table_) {
    if (sig.type != s.type) continue;
    auto jt = bit_table.find(bits);
    if (jt == bit_table.end()) continue;
    double d = std::fabs(std::log(macs / static_cast<double>(sig.Macs())));
    if (sig.IsDepthwise() != s.IsDepthwise()) d += 100.0;
    if (sig.kernel_h != s.kernel_h || sig.kernel_w != s.kernel_w) d += 10.0;
    if (sig.stride != s.stride) d += 10.0;
    // Ties broken by key so the choice does not depend on hash order.
    if (d < best_distance || (d == best_distance && best && sig.Key() < best->Key())) {
      best_distance = d;
      best = &sig;
      best_latency = jt->second;
    }
  }
  if (best == nullptr) {
    return absl::NotFoundError(absl::StrCat("profile '", name_, "' has no ", s.type,
                                            " measurement at a", act_bits, "/w", weight_bits,
                                            " to extrapolate ", s.Key(), " from"));
  }
  LatencyEstimate e;
  e.latency = best_latency * macs / static_cast<double>(best->Macs());
  e.extrapolated = true;
  e.note = absl::StrCat(s.Key(), " a", act_bits, "/w", weight_bits,
                        " not measured; scaled from ", best->Key(), " by MACs");
  return e;
}

std::vector<LatencyRow> LookupTableModel::Rows() const {
  std::vector<LatencyRow> rows;
  for (const auto& [sig, bit_table] : table_) {
    for (const auto& [bits, latency] : bit_table) {
      rows.push_back(LatencyRow{sig, bits.first, bits.second, latency});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const LatencyRow& a, const LatencyRow& b) {
    return std::tie(a.signature, a.act_bits, a.weight_bits) <
           std::tie(b.signature, b.act_bits, b.weight_bits);
  });
  return rows;
}

}  // namespace bitsearch
