#include "coordinator/config_flags.hpp"

#include <charconv>
#include <iterator>

#include "coordinator/fleet/fleet_settings.hpp"

namespace dbg::coord {

namespace {

// The order of --help. Ranges are the contract: tests/unit/coordinator_config_test.cpp and the
// integration tests check the edges.
constexpr FlagSpec kFlags[] = {
    {.name = "--listen", .env = "DBGCOORD_LISTEN", .kind = FlagKind::address, .value_name = "HOST:PORT",
     .field = &Config::listen,
     .help = "address to serve HTTP on; HOST is an IPv4 address, [IPv6] or localhost, PORT 0 picks a free port "
             "(the startup line shows it)"},
    {.name = "--data-dir", .env = "DBGCOORD_DATA_DIR", .kind = FlagKind::path, .value_name = "DIR",
     .unit = "a directory", .field = &Config::data_dir,
     .help = "directory for the database (DIR/dbgcoord.db); created with mode 0700 if missing"},
    // Only the name is checked here; whether the file exists and is private is checked at start
    // (auth::load_or_create_token), where failing is exit 1 with the reason.
    {.name = "--token-file", .env = "DBGCOORD_TOKEN_FILE", .kind = FlagKind::path, .value_name = "FILE",
     .unit = "a file", .field = &Config::token_file, .default_note = "DIR/token, generated with mode 0600 at first start",
     .help = "the API token, one word of at least 16 printable characters; the file must not be accessible by "
             "group or others"},
    {.name = "--allow-remote", .kind = FlagKind::toggle, .field = &Config::allow_remote,
     .help = "allow a non-loopback --listen address; anyone who can reach the port can read the memory of the "
             "processes this server may trace"},
    {.name = "--workers", .env = "DBGCOORD_WORKERS", .kind = FlagKind::integer, .value_name = "N", .min = 1,
     .max = Config::kMaxWorkers, .field = &Config::workers, .default_note = "min(32, 4 x cores)",
     .help = "worker processes at most"},
    {.name = "--batch-size", .env = "DBGCOORD_BATCH_SIZE", .kind = FlagKind::integer, .value_name = "N", .min = 1,
     .max = 1024, .field = &Config::batch_size, .help = "targets per batch, dispatched in rank order"},
    {.name = "--max-queue", .env = "DBGCOORD_MAX_QUEUE", .kind = FlagKind::integer, .value_name = "N", .min = 1,
     .max = 1000000, .field = &Config::max_queue,
     .help = "targets waiting or running at most, across sessions; a session that would exceed it gets 503 + "
             "Retry-After"},
    {.name = "--io-threads", .env = "DBGCOORD_IO_THREADS", .kind = FlagKind::integer, .value_name = "N", .min = 1,
     .max = Config::kMaxIoThreads, .field = &Config::io_threads, .default_note = "min(4, cores / 2), at least 1",
     .help = "threads serving HTTP, WebSocket and worker pipes"},
    {.name = "--max-connections", .env = "DBGCOORD_MAX_CONNECTIONS", .kind = FlagKind::integer, .value_name = "N",
     .min = 1, .max = 65536, .field = &Config::max_connections,
     .help = "open HTTP and WebSocket connections at most; one more gets 503"},
    {.name = "--rank-rules", .env = "DBGCOORD_RANK_RULES", .kind = FlagKind::path, .value_name = "FILE",
     .unit = "a JSON file", .field = &Config::rank_rules_file,
     .help = "importance rules, JSON [{\"name\",\"match\",\"weight\"}]: a regex over comm and cmdline adds its "
             "weight to a process's score"},
    {.name = "--allow-other-users", .kind = FlagKind::toggle, .field = &Config::allow_other_users,
     .default_note = "only our own uid's", .help = "also trace processes of other users"},
    {.name = "--max-profile-duration", .kind = FlagKind::integer, .value_name = "S", .unit = "seconds", .min = 1,
     .max = 86400, .field = &Config::max_profile_duration_s,
     .help = "longest profile a session may ask for, seconds"},
    {.name = "--profile-memory-mb", .kind = FlagKind::integer, .value_name = "N", .min = 1, .max = 65536,
     .field = &Config::profile_memory_mb,
     .help = "sample memory of all running profiles together, MiB; each profile job gets a share, and its oldest "
             "samples are evicted beyond it"},
    {.name = "--analysis-cache", .env = "DBGCOORD_ANALYSIS_CACHE", .kind = FlagKind::integer, .value_name = "N",
     .min = 1, .max = 1000000, .field = &Config::analysis_cache,
     .help = "error analyses (class, confidence, similar groups) cached by signature, least recently used evicted"},
    {.name = "--analysis-background", .env = "DBGCOORD_ANALYSIS_BACKGROUND", .kind = FlagKind::on_off,
     .value_name = "on|off", .field = &Config::analysis_background,
     .help = "analyse the error groups each ingested batch touched in the background (on), or only when a group "
             "is read (off: ingest does no analysis work at all)"},
    {.name = "--realtime-capture", .env = "DBGCOORD_REALTIME_CAPTURE", .kind = FlagKind::on_off,
     .value_name = "on|off", .field = &Config::realtime_capture,
     .help = "workers hold a target's threads stopped inside SCHED_FIFO (priority 1, bounded by RLIMIT_RTTIME, "
             "needs CAP_SYS_NICE, falls back to the normal class and says so in the JSON) so that a busy host "
             "cannot stretch the pause (on), or in the normal class (off)"},
    // Only the name is checked here: a model file that does not load is logged at start and the
    // coordinator runs on with every class "unknown" (analysis/analysis_service.hpp).
    {.name = "--model-file", .env = "DBGCOORD_MODEL_FILE", .kind = FlagKind::path, .value_name = "FILE",
     .unit = "a JSON model file", .field = &Config::model_file, .default_note = "the model built into dbgcoord",
     .help = "the crash classifier's model (JSON, models/crash_classifier.v1.json's format); a file that does "
             "not load is logged and every error group is then classified \"unknown\" with confidence 0"},
    {.name = "--detect-interval", .env = "DBGCOORD_DETECT_INTERVAL", .kind = FlagKind::integer, .value_name = "S",
     .unit = "seconds", .min = 0, .max = 86400, .field = &Config::detect_interval_s,
     .default_note = "0: off; sessions with \"options\":{\"detect\":\"deadlock\"} check on demand",
     .help = "every S seconds, check each crash-watched process for a deadlock (one process-consistency "
             "snapshot each; findings become DEADLOCK error groups)"},
    {.name = "--archive-after", .env = "DBGCOORD_ARCHIVE_AFTER", .kind = FlagKind::integer, .value_name = "S",
     .unit = "seconds", .min = 0, .max = 31536000, .field = &Config::archive_after_s,
     .help = "raw error events older than S seconds (by their timestamp) are folded into archives and deleted"},
    {.name = "--archive-window", .env = "DBGCOORD_ARCHIVE_WINDOW", .kind = FlagKind::integer, .value_name = "S",
     .unit = "seconds", .min = 1, .max = 2592000, .field = &Config::archive_window_s,
     .help = "one archive per error group and window of S seconds"},
    {.name = "--archive-interval", .env = "DBGCOORD_ARCHIVE_INTERVAL", .kind = FlagKind::integer, .value_name = "S",
     .unit = "seconds", .min = 1, .max = 86400, .field = &Config::archive_interval_s,
     .help = "seconds between archive runs; POST /api/v1/archives/run runs one at once"},
    {.name = "--max-db-mb", .env = "DBGCOORD_MAX_DB_MB", .kind = FlagKind::integer, .value_name = "N", .unit = "MiB",
     .min = 0, .max = 1048576, .field = &Config::max_db_mb,
     .help = "size cap of the database in MiB: beyond it the oldest archives are pruned after each archive run; "
             "0 = no cap"},
    {.name = "--budget-rss-mb", .env = "DBGCOORD_BUDGET_RSS_MB", .kind = FlagKind::integer, .value_name = "N",
     .unit = "MiB", .min = 1, .max = 1048576, .field = &Config::budget_rss_mb,
     .help = "the coordinator's own resident-memory budget in MiB"},
    {.name = "--budget-cpu-percent", .env = "DBGCOORD_BUDGET_CPU_PERCENT", .kind = FlagKind::decimal,
     .value_name = "P", .unit = "percent of one core, e.g. 5 or 2.5", .min = 0, .max = 6400,
     .field = &Config::budget_cpu_percent,
     .help = "its CPU budget in percent of one core over the last minute, e.g. 5 or 2.5. Over budget it sheds "
             "load in this order: halves the sampling rate of new profile sessions, shrinks its caches, refuses "
             "new sessions (503 + Retry-After); it undoes that in reverse once back under budget"},
    {.name = "--proc-events", .env = "DBGCOORD_PROC_EVENTS", .kind = FlagKind::on_off, .value_name = "on|off",
     .field = &Config::proc_events,
     .help = "learn new, exec'ed and exited processes from the kernel's proc connector (netlink; needs "
             "CAP_NET_ADMIN, else the periodic /proc scans are used and GET /api/v1/processes says why), or "
             "only from the periodic /proc scans (off)"},
    {.name = "--process-refresh-ms", .env = "DBGCOORD_PROCESS_REFRESH_MS", .kind = FlagKind::integer,
     .value_name = "MS", .unit = "milliseconds", .min = 100, .max = 3600000, .field = &Config::process_refresh_ms,
     .help = "shortest interval between /proc scans of the process table (CPU and memory rates, the periodic "
             "truth); on a big host the interval grows so the scans cost at most 0.4 % of one core"},
    {.name = "--crash-capture", .env = "DBGCOORD_CRASH_CAPTURE", .kind = FlagKind::off_word, .value_name = "off|host",
     .field = &Config::crash_capture_host,
     .help = "host: catch every crash on the host through the kernel's core_pattern (a host-wide core-mode watch "
             "that lives while dbgcoord runs; needs root; the previous core_pattern is chained to and restored at a "
             "clean stop; docs/crash-capture.md); off: only the watches created through the API"},
    {.name = "--crash-dir", .env = "DBGCOORD_CRASH_DIR", .kind = FlagKind::path, .value_name = "DIR",
     .unit = "a directory", .field = &Config::crash_dir, .default_note = "DIR/crash (of --data-dir)",
     .help = "the crash handler's directory (handler.json, the spool of crash reports); made absolute; the "
             "handler's core_pattern must fit the kernel's 127 bytes"},
    // The fleet (coordinator/fleet/, docs/fleet.md): checked here by fleet_settings.hpp.
    {.name = "--fleet-db", .env = "DBGCOORD_FLEET_DB", .kind = FlagKind::text, .value_name = "URL",
     .unit = "a PostgreSQL URL or conninfo", .field = &Config::fleet_db, .default_note = "none: not in a fleet",
     .help = "join a fleet: the PostgreSQL database every host of the fleet publishes to, as postgresql://USER@HOST/DB"
             "?sslmode=... or a libpq conninfo; a password is best left to PGPASSFILE or PGPASSWORD (the URL is never "
             "logged); while it is unreachable this host keeps working alone and ships its backlog later",
     .check = fleet::check_fleet_db, .secret = true},
    {.name = "--host-name", .env = "DBGCOORD_HOST_NAME", .kind = FlagKind::text, .value_name = "NAME",
     .unit = "a host name", .field = &Config::host_name, .default_note = "the system's host name",
     .help = "this host's name in the fleet and in /metrics (letters, digits, '.', '-', '_'; at most 253)",
     .check = fleet::check_host_name},
    {.name = "--host-labels", .env = "DBGCOORD_HOST_LABELS", .kind = FlagKind::text, .value_name = "K=V,...",
     .unit = "labels", .field = &Config::host_labels, .default_note = "none",
     .help = "labels of this host, e.g. role=db,zone=eu1, which fleet sessions select hosts by ({\"label\":"
             "{\"role\":\"db\"}}) and /metrics shows on dbgcoord_host_info (label_role=\"db\")",
     .check = fleet::check_host_labels},
    {.name = "--fleet-tasks", .env = "DBGCOORD_FLEET_TASKS", .kind = FlagKind::on_off, .value_name = "on|off",
     .field = &Config::fleet_tasks,
     .help = "whether this host runs the fleet sessions other hosts ask for (POST /api/v1/fleet/sessions anywhere "
             "in the fleet snapshots or profiles this host's processes); off: it only publishes, and sessions "
             "leave it out"},
    {.name = "--fleet-outbox-mb", .env = "DBGCOORD_FLEET_OUTBOX_MB", .kind = FlagKind::integer, .value_name = "N",
     .unit = "MiB", .min = 1, .max = 65536, .field = &Config::fleet_outbox_mb,
     .help = "the local outbox of changes not yet shipped to the fleet database, MiB; when full, error events are "
             "still counted exactly but their samples are dropped (dbgcoord_fleet_samples_dropped_total)"},
    {.name = "--fleet-heartbeat", .env = "DBGCOORD_FLEET_HEARTBEAT", .kind = FlagKind::integer, .value_name = "S",
     .unit = "seconds", .min = 1, .max = 3600, .field = &Config::fleet_heartbeat_s,
     .help = "seconds between this host's heartbeats; other hosts call it down after three missed ones"},
    {.name = "--list-routes", .kind = FlagKind::toggle, .field = &Config::list_routes,
     .help = "print every HTTP route (METHOD PATTERN, one per line; the WebSocket endpoint marked \"websocket\") "
             "and exit; opens DIR like a normal start",
     .cli_only = true},
    // The file is read by parse_command_line through its FileReader (config.hpp).
    {.name = "--config", .env = "DBGCOORD_CONFIG", .kind = FlagKind::path, .value_name = "FILE", .unit = "a file",
     .field = &Config::config_file, .default_note = "/etc/dbgcoord/dbgcoord.conf if it exists",
     .help = "config file: one \"key = value\" per line, the key a flag's name without \"--\" (listen = "
             "127.0.0.1:7070), a toggle's value on or off; # starts a comment at the start of a line or after a space or tab (so a value "
             "cannot hold \" #\"), blank lines are ignored; "
             "flags win over environment variables, those over the file",
     .cli_only = true},
    {.name = "--check-config", .kind = FlagKind::toggle, .field = &Config::check_config,
     .help = "check the config file, the environment and the flags and exit: prints ok (exit 0) or every "
             "problem with its file line (exit 2); starts nothing and changes nothing",
     .cli_only = true},
    {.name = "--help", .alias = "-h", .kind = FlagKind::help, .help = "print this help and exit"},
    {.name = "--version", .kind = FlagKind::version, .help = "print the version and exit"},
    {.name = "--help-man", .kind = FlagKind::help_man, .help = "print the man page dbgcoord(1), roff, and exit"},
    {.name = "--help-config", .kind = FlagKind::help_config,
     .help = "print a commented config file with every key and its default and exit "
             "(packaging/dbgcoord.conf is its output with packaging/dbgcoord.conf.overlay's keys set)"},
};

// A whole number in [min, max]: plain decimal digits, nothing around them ("+1", "1h" fail).
bool parse_whole(std::string_view text, std::uint64_t min, std::uint64_t max, std::size_t* out) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) return false;
  *out = static_cast<std::size_t>(value);
  return true;
}

// A decimal number in (min, max]: "5", "2.5". Not strtod: it takes "inf", "nan", hex and locales.
bool parse_decimal(std::string_view text, double min, double max, double* out) {
  if (text.empty() || text.size() > 16) return false;
  std::size_t dots = 0;
  for (char c : text) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  if (dots > 1 || text.front() == '.' || text.back() == '.') return false;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !(value > min) || value > max) return false;
  *out = value;
  return true;
}

template <typename T>
T& field_of(const FlagSpec& spec, Config& config) {
  return config.*std::get<T Config::*>(spec.field);
}

}  // namespace

std::span<const FlagSpec> flag_table() { return kFlags; }

bool takes_value(const FlagSpec& spec) {
  return spec.kind != FlagKind::toggle && spec.kind != FlagKind::help && spec.kind != FlagKind::version &&
         spec.kind != FlagKind::help_man && spec.kind != FlagKind::help_config;
}

bool settable_in_file(const FlagSpec& spec) {
  return !spec.cli_only && (takes_value(spec) || spec.kind == FlagKind::toggle);
}

std::string_view file_key(const FlagSpec& spec) { return spec.name.substr(2); }

std::optional<std::string> apply_file_value(const FlagSpec& spec, std::string_view text, Config& config) {
  if (spec.kind != FlagKind::toggle) return apply_flag(spec, text, config);
  if (text != "on" && text != "off") return "'" + std::string(text) + "' is not on or off";
  field_of<bool>(spec, config) = text == "on";
  return std::nullopt;
}

std::string range_text(const FlagSpec& spec) {
  if (spec.kind == FlagKind::integer) return std::to_string(spec.min) + ".." + std::to_string(spec.max);
  if (spec.kind == FlagKind::decimal) return "above " + std::to_string(spec.min) + ", at most " + std::to_string(spec.max);
  return {};
}

std::string default_text(const FlagSpec& spec) {
  if (!spec.default_note.empty()) return std::string(spec.default_note);
  const Config defaults;
  struct Show {
    const Config& c;
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(ListenAddress Config::*f) const { return (c.*f).to_string(); }
    std::string operator()(std::filesystem::path Config::*f) const { return (c.*f).string(); }
    std::string operator()(std::optional<std::filesystem::path> Config::*f) const {
      return (c.*f) ? (c.*f)->string() : std::string();
    }
    std::string operator()(std::size_t Config::*f) const { return std::to_string(c.*f); }
    std::string operator()(double Config::*f) const {
      // Whole defaults print as "5", not "5.000000".
      char buffer[32];
      auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), c.*f);
      return ec == std::errc{} ? std::string(buffer, end) : std::string();
    }
    std::string operator()(std::string Config::*f) const { return c.*f; }
    // A toggle's default is "absent"; an on/off flag shows its word.
    std::string operator()(bool Config::*f) const { return c.*f ? "on" : ""; }
  };
  std::string shown = std::visit(Show{defaults}, spec.field);
  if ((spec.kind == FlagKind::on_off || spec.kind == FlagKind::off_word) && shown.empty()) return "off";
  if (spec.kind == FlagKind::off_word) return std::string(spec.value_name.substr(spec.value_name.find('|') + 1));
  return shown;
}

std::string value_hint(const FlagSpec& spec) {
  switch (spec.kind) {
    case FlagKind::address:
      return std::string(spec.value_name);
    case FlagKind::on_off:
      return "on or off";
    case FlagKind::off_word:
      return "off or " + std::string(spec.value_name.substr(spec.value_name.find('|') + 1));
    case FlagKind::integer:
      return spec.unit.empty() ? range_text(spec) : std::string(spec.unit) + ", " + range_text(spec);
    default:
      return std::string(spec.unit);
  }
}

std::optional<std::string> apply_flag(const FlagSpec& spec, std::string_view text, Config& config) {
  const std::string quoted = "'" + std::string(text) + "'";
  switch (spec.kind) {
    case FlagKind::address: {
      std::string error;
      auto address = parse_listen_address(text, &error);
      if (!address) return error;
      field_of<ListenAddress>(spec, config) = *address;
      return std::nullopt;
    }
    case FlagKind::path:
      if (text.empty()) {
        return spec.value_name == "DIR" ? "the directory must not be empty" : "the file name must not be empty";
      }
      if (std::holds_alternative<std::filesystem::path Config::*>(spec.field)) {
        field_of<std::filesystem::path>(spec, config) = std::string(text);
      } else {
        field_of<std::optional<std::filesystem::path>>(spec, config) = std::string(text);
      }
      return std::nullopt;
    case FlagKind::integer:
      if (parse_whole(text, spec.min, spec.max, &field_of<std::size_t>(spec, config))) return std::nullopt;
      return quoted + " is not a whole number from " + std::to_string(spec.min) + " to " + std::to_string(spec.max);
    case FlagKind::decimal:
      if (parse_decimal(text, static_cast<double>(spec.min), static_cast<double>(spec.max), &field_of<double>(spec, config)))
        return std::nullopt;
      return quoted + " is not a number above " + std::to_string(spec.min) + " and at most " + std::to_string(spec.max) +
             " (" + std::string(spec.unit) + ")";
    case FlagKind::on_off:
      if (text != "on" && text != "off") return quoted + " is not on or off";
      field_of<bool>(spec, config) = text == "on";
      return std::nullopt;
    case FlagKind::off_word: {
      const std::string_view word = spec.value_name.substr(spec.value_name.find('|') + 1);
      if (text != "off" && text != word) return quoted + " is not off or " + std::string(word);
      field_of<bool>(spec, config) = text == word;
      return std::nullopt;
    }
    case FlagKind::text:
      if (spec.check) {
        if (auto why = spec.check(text)) return why;
      }
      field_of<std::string>(spec, config) = std::string(text);
      return std::nullopt;
    case FlagKind::toggle:
      field_of<bool>(spec, config) = true;
      return std::nullopt;
    case FlagKind::help:
    case FlagKind::version:
    case FlagKind::help_man:
    case FlagKind::help_config:
      break;
  }
  return std::nullopt;
}

}  // namespace dbg::coord
