#include "coordinator/metrics/host_info.hpp"

namespace dbg::coord::metrics {

Labels host_info_labels(const HostIdentity& id) {
  Labels out{{"host", id.host}, {"version", id.version}, {"boot_id", id.boot_id}};
  for (const auto& [key, value] : id.labels) out.emplace_back("label_" + key, value);
  return out;
}

void write_host_info(Exposition& out, const HostIdentity& id) {
  constexpr std::string_view name = "dbgcoord_host_info";
  out.family(name,
             "Always 1: this coordinator's host name, version, boot id and --host-labels (as label_<key>); "
             "join on instance to name the host of any series.",
             Exposition::Type::gauge);
  out.sample(name, host_info_labels(id), 1);
}

}  // namespace dbg::coord::metrics
