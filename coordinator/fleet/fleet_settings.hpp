#pragma once
// The fleet settings as the flag table checks them (--fleet-db, --host-name, --host-labels) and
// the few facts about this host that the fleet and /metrics name it by. Pure functions, so the
// config parser (dbg_coordinator_core's first files) can use them without libpq.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dbg::coord {
struct Config;
}

namespace dbg::coord::fleet {

// A PostgreSQL URL (postgresql:// or postgres://) or a libpq conninfo ("host=... dbname=...").
// The message never repeats the value: it may hold a password.
std::optional<std::string> check_fleet_db(std::string_view text);
// 1..253 of [A-Za-z0-9._-], not starting with '-' or '.'.
std::optional<std::string> check_host_name(std::string_view text);
// "k=v,k=v": keys [a-z0-9_] 1..63 (a Prometheus label's shape), values 1..128 printable, no ',' or '='.
std::optional<std::string> check_host_labels(std::string_view text);
// The labels of a checked --host-labels value; empty for "".
std::map<std::string, std::string> parse_host_labels(std::string_view text);

// --host-name, else the kernel's host name (uname), else "localhost".
std::string host_name(const Config& config);
// /proc/sys/kernel/random/boot_id: tells a reboot of the same host from a restart of dbgcoord.
std::string boot_id();

// What logs may show of --fleet-db: the URL without its password (and without any query
// parameter named password), or a conninfo's host/port/dbname only.
std::string redacted_fleet_db(std::string_view text);

}  // namespace dbg::coord::fleet
