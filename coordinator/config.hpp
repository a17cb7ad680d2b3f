#pragma once
// Command line and environment -> Config. Pure (no I/O besides the env lookup it is given), so
// tests can drive every flag and error without starting a server.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbg::coord {

// Where the HTTP server listens. host is an IP literal (IPv6 without brackets).
struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;

  bool is_loopback() const;
  // "127.0.0.1:7070", "[::1]:7070": the form --listen accepts and URLs use.
  std::string to_string() const;
};

// Parses "HOST:PORT" where HOST is an IPv4 literal, "[IPv6]" or "localhost" (127.0.0.1) and
// PORT is 0..65535 (0 = let the kernel pick). Names other than localhost are refused: resolving
// them could pick an address the operator did not expect, which matters for a root-shell-grade
// API. Returns nullopt and sets *error on failure.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string* error);

struct Config {
  ListenAddress listen;
  std::filesystem::path data_dir = "./data";
  // The API can read the memory of every traceable process, so listening beyond loopback has
  // to be asked for explicitly.
  bool allow_remote = false;
  // The API token's file (--token-file, DBGCOORD_TOKEN_FILE). Unset: DATA_DIR/token, created
  // at first start (auth/token.hpp).
  std::optional<std::filesystem::path> token_file;
  // Worker processes at most (--workers, DBGCOORD_WORKERS); default min(32, 4 x cores).
  std::size_t workers = default_workers();
  // Targets per batch (--batch-size, DBGCOORD_BATCH_SIZE).
  std::size_t batch_size = 8;
  // Targets admitted and not finished, across sessions (--max-queue, DBGCOORD_MAX_QUEUE); a
  // session that would exceed it is refused with 503 and Retry-After. It bounds the memory that
  // sessions waiting for workers hold (a target waiting costs a few hundred bytes, its answer
  // until stored a few KiB), not the requests to workers: those go out one batch per session at
  // a time. Default 32768, Linux's default pid_max: on such a host a session over "all" always
  // fits (a process takes a pid), a 10,000-process host with room to spare.
  std::size_t max_queue = 32768;
  // Open connections, HTTP and WebSocket together (--max-connections, DBGCOORD_MAX_CONNECTIONS,
  // 1..65536); one more gets 503. Each costs a file descriptor and at most a bounded send queue.
  std::size_t max_connections = 256;
  // Importance rules, a JSON file [{"name","match","weight"}] (--rank-rules, DBGCOORD_RANK_RULES).
  std::optional<std::filesystem::path> rank_rules_file;
  // Longest profile a session may ask for, seconds (--max-profile-duration, 1..86400).
  std::size_t max_profile_duration_s = 300;
  // Bytes of samples all running profiles may hold together (--profile-memory-mb, 1..65536 MiB).
  std::size_t profile_memory_mb = 50;
  // Seconds between scheduled deadlock checks of the crash-watched processes (--detect-interval,
  // DBGCOORD_DETECT_INTERVAL, 0..86400). Default 0, off: each check stops every thread of every
  // watched process for a `process`-consistency snapshot (all threads held while all stacks are
  // copied, the longest pause this tool makes), a cost an operator should choose, not inherit;
  // sessions with options.detect check on demand.
  std::size_t detect_interval_s = 0;
  // Trace processes of other users too (--allow-other-users); by default only our own uid's.
  bool allow_other_users = false;
  // --list-routes: print every HTTP route ("METHOD PATTERN" per line) and exit instead of
  // serving. Opens the data directory and database like a normal start (the routes are those
  // of the server this configuration would run).
  bool list_routes = false;

  // Threads running the io_context (--io-threads, DBGCOORD_IO_THREADS): HTTP, WebSocket, the
  // scheduler and the pool's pipes; shared state sits on strands, so any count is safe.
  // Default min(4, cores / 2), at least 1.
  std::size_t io_threads = default_io_threads();

  // Error analyses cached by signature (--analysis-cache, DBGCOORD_ANALYSIS_CACHE), 1..1000000.
  std::size_t analysis_cache = 1000;
  // The crash classifier's model file (--model-file, DBGCOORD_MODEL_FILE). Unset: the model
  // embedded at build time. A file that does not load is logged and every class is "unknown".
  std::optional<std::filesystem::path> model_file;
  // Analyse the groups each ingest batch touched in the background (--analysis-background
  // on|off, DBGCOORD_ANALYSIS_BACKGROUND). Off: groups are analysed when read only, and
  // GET /api/v1/errors?class=... sees the groups read since.
  bool analysis_background = true;
  // Workers stop target threads inside a real-time scheduling class when permitted
  // (--realtime-capture on|off, DBGCOORD_REALTIME_CAPTURE; worker/capture/capture_priority.hpp).
  bool realtime_capture = true;
  // Archiving (coordinator/archive/): raw error events older than archive_after_s are folded
  // into one archive per error group and archive_window_s window, every archive_interval_s
  // (--archive-after 0..31536000, --archive-window 1..2592000, --archive-interval 1..86400;
  // env DBGCOORD_ARCHIVE_AFTER, _WINDOW, _INTERVAL).
  std::size_t archive_after_s = 3600;
  std::size_t archive_window_s = 3600;
  std::size_t archive_interval_s = 300;
  // The database's size cap in MiB: beyond it the oldest archives are pruned (--max-db-mb,
  // DBGCOORD_MAX_DB_MB, 0..1048576; 0 = no cap).
  std::size_t max_db_mb = 1024;
  // The coordinator's own budget (coordinator/budget/): resident memory in MiB and CPU share in
  // percent of one core (--budget-rss-mb 1..1048576, --budget-cpu-percent (0, 6400];
  // env DBGCOORD_BUDGET_RSS_MB, DBGCOORD_BUDGET_CPU_PERCENT).
  std::size_t budget_rss_mb = 50;
  // The process table (ranking/process_table.hpp): learn process births, execs and exits from
  // the kernel's proc connector when permitted (--proc-events on|off, DBGCOORD_PROC_EVENTS;
  // off: the periodic /proc scans alone, the fallback where netlink is refused), and scan /proc
  // at most every process_refresh_ms (--process-refresh-ms 100..3600000,
  // DBGCOORD_PROCESS_REFRESH_MS); the interval grows with the host's size to stay in budget.
  bool proc_events = true;
  std::size_t process_refresh_ms = 1000;
  double budget_cpu_percent = 5;
  // Host-wide crash capture through core_pattern (--crash-capture off|host,
  // DBGCOORD_CRASH_CAPTURE; coordinator/crash/): a core-mode watch of every process while
  // dbgcoord runs. Off by default for now: installing changes a host-global setting.
  bool crash_capture_host = false;
  // The handler's directory (--crash-dir, DBGCOORD_CRASH_DIR). Unset: DATA_DIR/crash.
  std::optional<std::filesystem::path> crash_dir;
  // The fleet (coordinator/fleet/): the PostgreSQL database the hosts publish to (--fleet-db,
  // DBGCOORD_FLEET_DB; empty: not in a fleet, the fleet routes answer 404), this host's name and
  // labels there and in /metrics (--host-name, empty: the system's; --host-labels k=v,...), the
  // local outbox's bound (--fleet-outbox-mb) and the heartbeat (--fleet-heartbeat).
  std::string fleet_db;
  std::string host_name;
  std::string host_labels;
  std::size_t fleet_outbox_mb = 32;
  std::size_t fleet_heartbeat_s = 5;
  bool fleet_tasks = true;  // --fleet-tasks: run fleet sessions' tasks on this host
  // The config file named by --config or DBGCOORD_CONFIG (unset: kDefaultConfigFile when it
  // exists), and --check-config: check it all and exit.
  std::optional<std::filesystem::path> config_file;
  bool check_config = false;

  static constexpr std::size_t kMaxWorkers = 32;
  static constexpr std::size_t kMaxIoThreads = 64;
  static std::size_t default_workers();
  static std::size_t default_io_threads();
};

// Read when neither --config nor DBGCOORD_CONFIG names a file, and only when it exists.
inline constexpr std::string_view kDefaultConfigFile = "/etc/dbgcoord/dbgcoord.conf";

// What the command line asked for.
struct CommandLine {
  enum class Action { run, help, version, help_man, help_config, check_config, usage_error };
  Action action = Action::run;
  Config config;
  std::string error;  // one line, set for usage_error
  // check_config: every problem of the config file ("FILE:7: unknown key \"lisen\""), empty
  // when all is well; config_file_read: the file that was read, if any.
  std::vector<std::string> problems;
  std::optional<std::filesystem::path> config_file_read;
};

// A config file's contents. found false: it does not exist; error set: it exists but could not
// be read. Injected for tests.
struct FileRead {
  bool found = false;
  std::string text;
  std::string error;
};
using FileReader = std::function<FileRead(const std::filesystem::path& path)>;
FileReader process_files();

// One `key = value` line of a config file: the flag (index into flag_table()), its value, line.
struct ConfigFileEntry {
  std::size_t flag = 0;
  std::string value;
  std::size_t line = 0;
};
struct ParsedConfigFile {
  std::vector<ConfigFileEntry> entries;
  std::vector<std::string> problems;  // "NAME:LINE: message", in line order
};
// Parses a config file's text; name prefixes each problem. Every value is checked with the
// flag's own validation (apply_file_value); unknown, command-line-only and duplicate keys and
// lines without "=" are problems.
ParsedConfigFile parse_config_file(std::string_view text, std::string_view name);

// Returns the value of an environment variable, nullopt when unset. Injected for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env();

// args excludes argv[0]. Precedence: flag, then its environment variable (flag_table() in
// config_flags.hpp names both), then default. An empty environment variable counts as unset.
// This form reads no file: a --config or DBGCOORD_CONFIG file counts as missing.
CommandLine parse_command_line(const std::vector<std::string>& args, const EnvLookup& env);
// With the config file: flag, then environment variable, then the file's key, then default.
CommandLine parse_command_line(const std::vector<std::string>& args, const EnvLookup& env,
                               const FileReader& files);

// --help, --help-man (roff) and --help-config (the commented default config file), all
// generated from flag_table() (config_help.cpp).
std::string help_text();
std::string man_page();
std::string config_file_template();
std::string_view version();

// Process exit codes, shared by main() and documented in --help.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure: bind, database, data dir
inline constexpr int kExitUsage = 2;    // bad flag or value

}  // namespace dbg::coord
