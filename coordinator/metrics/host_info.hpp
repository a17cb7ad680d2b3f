#pragma once
// dbgcoord_host_info{host, version, boot_id, label_<k>...} 1: who this coordinator is, as an info
// metric. Prometheus' `instance` is the address it scraped (host:port, often an IP or a load
// balancer's name), not the host name the fleet knows; joining on instance brings the name to any
// other series:  dbgcoord_error_groups_open * on(instance) group_left(host) dbgcoord_host_info
#include <map>
#include <string>

#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::metrics {

struct HostIdentity {
  std::string host;     // fleet::host_name(config)
  std::string version;  // dbgcoord's
  std::string boot_id;  // tells a reboot from a restart
  // --host-labels; each becomes label_<key> so that no key (host, job, instance...) can shadow
  // a label of ours or one Prometheus attaches.
  std::map<std::string, std::string> labels;
};

// The labels of the one sample, in a fixed order: host, version, boot_id, then label_* by key.
Labels host_info_labels(const HostIdentity& id);

void write_host_info(Exposition& out, const HostIdentity& id);

}  // namespace dbg::coord::metrics
