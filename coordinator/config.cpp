#include "coordinator/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdlib>
#include <unistd.h>

namespace dbg::coord {

namespace {

constexpr std::string_view kListenEnv = "DBGCOORD_LISTEN";
constexpr std::string_view kDataDirEnv = "DBGCOORD_DATA_DIR";
constexpr std::string_view kTokenFileEnv = "DBGCOORD_TOKEN_FILE";
constexpr std::string_view kWorkersEnv = "DBGCOORD_WORKERS";
constexpr std::string_view kBatchSizeEnv = "DBGCOORD_BATCH_SIZE";
constexpr std::string_view kRankRulesEnv = "DBGCOORD_RANK_RULES";
constexpr std::string_view kMaxQueueEnv = "DBGCOORD_MAX_QUEUE";
constexpr std::string_view kIoThreadsEnv = "DBGCOORD_IO_THREADS";
constexpr std::string_view kMaxConnectionsEnv = "DBGCOORD_MAX_CONNECTIONS";
constexpr std::string_view kAnalysisCacheEnv = "DBGCOORD_ANALYSIS_CACHE";
constexpr std::string_view kModelFileEnv = "DBGCOORD_MODEL_FILE";
constexpr std::string_view kAnalysisBackgroundEnv = "DBGCOORD_ANALYSIS_BACKGROUND";
constexpr std::string_view kDetectIntervalEnv = "DBGCOORD_DETECT_INTERVAL";
constexpr std::string_view kArchiveAfterEnv = "DBGCOORD_ARCHIVE_AFTER";
constexpr std::string_view kArchiveWindowEnv = "DBGCOORD_ARCHIVE_WINDOW";
constexpr std::string_view kArchiveIntervalEnv = "DBGCOORD_ARCHIVE_INTERVAL";
constexpr std::string_view kMaxDbMbEnv = "DBGCOORD_MAX_DB_MB";
constexpr std::string_view kBudgetRssEnv = "DBGCOORD_BUDGET_RSS_MB";
constexpr std::string_view kBudgetCpuEnv = "DBGCOORD_BUDGET_CPU_PERCENT";
constexpr std::size_t kMaxIoThreads = 64;
constexpr std::size_t kMaxWorkers = 32;

// A count in [1, max]; false when not a plain decimal number in range.
bool parse_count(std::string_view text, std::size_t max, std::size_t* out) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > max) return false;
  *out = value;
  return true;
}

// A whole number in [min, max] (0 allowed when min is 0).
bool parse_number(std::string_view text, std::size_t min, std::size_t max, std::size_t* out) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) return false;
  *out = value;
  return true;
}

// A decimal number in (0, max]: "5", "2.5". Not strtod: it takes "inf", "nan", hex and locales.
bool parse_percent(std::string_view text, double max, double* out) {
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
  if (ec != std::errc{} || end != text.data() + text.size() || !(value > 0) || value > max) return false;
  *out = value;
  return true;
}

bool parse_port(std::string_view text, std::uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // from_chars accepts a prefix; demand the whole text (so "80x" and "+80" fail).
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
  *port = static_cast<std::uint16_t>(value);
  return true;
}

bool is_ipv4(const std::string& host) {
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

}  // namespace

bool ListenAddress::is_loopback() const {
  in_addr a4{};
  if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    // The whole 127.0.0.0/8 block is loopback (RFC 1122 3.2.1.3), not just 127.0.0.1.
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  in6_addr a6{};
  if (::inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
    // ::ffff:127.x.y.z reaches the IPv4 loopback through a dual-stack socket.
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
  }
  return false;
}

std::string ListenAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<ListenAddress> {
    *error = std::move(message);
    return std::nullopt;
  };
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("invalid listen address '" + std::string(text) + "': expected [IPv6]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (!is_ipv6(host)) return fail("invalid listen address '" + std::string(text) + "': '" + host + "' is not an IPv6 address");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail("invalid listen address '" + std::string(text) + "': expected HOST:PORT, e.g. 127.0.0.1:7070");
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return fail("invalid listen address '" + std::string(text) + "': write IPv6 addresses in brackets, e.g. [::1]:7070");
    }
    if (host == "localhost") host = "127.0.0.1";
    if (host.empty()) return fail("invalid listen address '" + std::string(text) + "': missing host");
    if (!is_ipv4(host)) {
      return fail("invalid listen address '" + std::string(text) + "': host must be an IP address or localhost");
    }
  }
  ListenAddress address;
  address.host = std::move(host);
  if (!parse_port(port_text, &address.port)) {
    return fail("invalid listen address '" + std::string(text) + "': port must be a number from 0 to 65535");
  }
  return address;
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

CommandLine parse_command_line(const std::vector<std::string>& args, const EnvLookup& env) {
  CommandLine out;
  auto usage_error = [&](std::string message) {
    out.action = CommandLine::Action::usage_error;
    out.error = std::move(message);
    return out;
  };

  std::optional<std::string> listen_text;
  std::optional<std::string> data_dir_text;
  std::optional<std::string> token_file_text;
  std::optional<std::string> workers_text;
  std::optional<std::string> batch_size_text;
  std::optional<std::string> rank_rules_text;
  std::optional<std::string> max_queue_text;
  std::optional<std::string> io_threads_text;
  std::optional<std::string> max_connections_text;
  std::optional<std::string> max_profile_duration_text;
  std::optional<std::string> profile_memory_text;
  std::optional<std::string> analysis_cache_text;
  std::optional<std::string> model_file_text;
  std::optional<std::string> analysis_background_text;
  std::optional<std::string> detect_interval_text;
  std::optional<std::string> archive_after_text;
  std::optional<std::string> archive_window_text;
  std::optional<std::string> archive_interval_text;
  std::optional<std::string> max_db_text;
  std::optional<std::string> budget_rss_text;
  std::optional<std::string> budget_cpu_text;

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      // Help wins over everything else on the line, even errors, so that a user who is
      // already confused gets the text and not one more error.
      out.action = CommandLine::Action::help;
      return out;
    }
  }

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // Flags with a value accept both "--flag value" and "--flag=value".
    auto value_of = [&](std::string_view flag, std::optional<std::string>* slot) -> int {
      if (arg == flag) {
        if (i + 1 >= args.size()) return -1;
        *slot = args[++i];
        return 1;
      }
      if (arg.size() > flag.size() && arg.compare(0, flag.size(), flag) == 0 && arg[flag.size()] == '=') {
        *slot = arg.substr(flag.size() + 1);
        return 1;
      }
      return 0;
    };
    int r = value_of("--listen", &listen_text);
    if (r < 0) return usage_error("--listen needs a value (HOST:PORT)");
    if (r > 0) continue;
    r = value_of("--data-dir", &data_dir_text);
    if (r < 0) return usage_error("--data-dir needs a value (a directory)");
    if (r > 0) continue;
    r = value_of("--token-file", &token_file_text);
    if (r < 0) return usage_error("--token-file needs a value (a file)");
    if (r > 0) continue;
    r = value_of("--workers", &workers_text);
    if (r < 0) return usage_error("--workers needs a value (1.." + std::to_string(kMaxWorkers) + ")");
    if (r > 0) continue;
    r = value_of("--batch-size", &batch_size_text);
    if (r < 0) return usage_error("--batch-size needs a value (1..1024)");
    if (r > 0) continue;
    r = value_of("--max-queue", &max_queue_text);
    if (r < 0) return usage_error("--max-queue needs a value (1..1000000)");
    if (r > 0) continue;
    r = value_of("--io-threads", &io_threads_text);
    if (r < 0) return usage_error("--io-threads needs a value (1.." + std::to_string(kMaxIoThreads) + ")");
    if (r > 0) continue;
    r = value_of("--max-connections", &max_connections_text);
    if (r < 0) return usage_error("--max-connections needs a value (1..65536)");
    if (r > 0) continue;
    r = value_of("--max-profile-duration", &max_profile_duration_text);
    if (r < 0) return usage_error("--max-profile-duration needs a value (seconds, 1..86400)");
    if (r > 0) continue;
    r = value_of("--profile-memory-mb", &profile_memory_text);
    if (r < 0) return usage_error("--profile-memory-mb needs a value (1..65536)");
    if (r > 0) continue;
    r = value_of("--analysis-cache", &analysis_cache_text);
    if (r < 0) return usage_error("--analysis-cache needs a value (1..1000000)");
    if (r > 0) continue;
    r = value_of("--analysis-background", &analysis_background_text);
    if (r < 0) return usage_error("--analysis-background needs a value (on or off)");
    if (r > 0) continue;
    r = value_of("--model-file", &model_file_text);
    if (r < 0) return usage_error("--model-file needs a value (a JSON model file)");
    if (r > 0) continue;
    r = value_of("--detect-interval", &detect_interval_text);
    if (r < 0) return usage_error("--detect-interval needs a value (seconds, 0..86400)");
    if (r > 0) continue;
    r = value_of("--archive-after", &archive_after_text);
    if (r < 0) return usage_error("--archive-after needs a value (seconds, 0..31536000)");
    if (r > 0) continue;
    r = value_of("--archive-window", &archive_window_text);
    if (r < 0) return usage_error("--archive-window needs a value (seconds, 1..2592000)");
    if (r > 0) continue;
    r = value_of("--archive-interval", &archive_interval_text);
    if (r < 0) return usage_error("--archive-interval needs a value (seconds, 1..86400)");
    if (r > 0) continue;
    r = value_of("--max-db-mb", &max_db_text);
    if (r < 0) return usage_error("--max-db-mb needs a value (MiB, 0..1048576; 0 = no cap)");
    if (r > 0) continue;
    r = value_of("--budget-rss-mb", &budget_rss_text);
    if (r < 0) return usage_error("--budget-rss-mb needs a value (MiB, 1..1048576)");
    if (r > 0) continue;
    r = value_of("--budget-cpu-percent", &budget_cpu_text);
    if (r < 0) return usage_error("--budget-cpu-percent needs a value (percent of one core, e.g. 5 or 2.5)");
    if (r > 0) continue;
    r = value_of("--rank-rules", &rank_rules_text);
    if (r < 0) return usage_error("--rank-rules needs a value (a JSON file)");
    if (r > 0) continue;
    if (arg == "--allow-remote") {
      out.config.allow_remote = true;
    } else if (arg == "--allow-other-users") {
      out.config.allow_other_users = true;
    } else if (arg == "--list-routes") {
      out.config.list_routes = true;
    } else if (arg == "--version") {
      out.action = CommandLine::Action::version;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown flag '" + arg + "'");
    } else {
      return usage_error("unexpected argument '" + arg + "'");
    }
  }
  if (out.action == CommandLine::Action::version) return out;

  auto from_env = [&](std::string_view name) -> std::optional<std::string> {
    auto value = env(std::string(name));
    if (!value || value->empty()) return std::nullopt;
    return value;
  };

  std::string listen_source = "--listen";
  if (!listen_text) {
    listen_text = from_env(kListenEnv);
    listen_source = std::string(kListenEnv);
  }
  if (listen_text) {
    std::string error;
    auto address = parse_listen_address(*listen_text, &error);
    if (!address) return usage_error(listen_source + ": " + error);
    out.config.listen = *address;
  }

  if (!data_dir_text) data_dir_text = from_env(kDataDirEnv);
  if (data_dir_text) {
    if (data_dir_text->empty()) return usage_error("--data-dir: the directory must not be empty");
    out.config.data_dir = *data_dir_text;
  }

  // Only the name is checked here; whether the file exists and is private is checked at start
  // (auth::load_or_create_token), where failing is exit 1 with the reason.
  if (!token_file_text) token_file_text = from_env(kTokenFileEnv);
  if (token_file_text) {
    if (token_file_text->empty()) return usage_error("--token-file: the file name must not be empty");
    out.config.token_file = *token_file_text;
  }

  if (!workers_text) workers_text = from_env(kWorkersEnv);
  if (workers_text && !parse_count(*workers_text, kMaxWorkers, &out.config.workers))
    return usage_error("--workers: '" + *workers_text + "' is not a number from 1 to " + std::to_string(kMaxWorkers));
  if (!batch_size_text) batch_size_text = from_env(kBatchSizeEnv);
  if (batch_size_text && !parse_count(*batch_size_text, 1024, &out.config.batch_size))
    return usage_error("--batch-size: '" + *batch_size_text + "' is not a number from 1 to 1024");
  if (!max_queue_text) max_queue_text = from_env(kMaxQueueEnv);
  if (max_queue_text && !parse_count(*max_queue_text, 1000000, &out.config.max_queue))
    return usage_error("--max-queue: '" + *max_queue_text + "' is not a number from 1 to 1000000");
  if (!io_threads_text) io_threads_text = from_env(kIoThreadsEnv);
  if (io_threads_text && !parse_count(*io_threads_text, kMaxIoThreads, &out.config.io_threads))
    return usage_error("--io-threads: '" + *io_threads_text + "' is not a number from 1 to " + std::to_string(kMaxIoThreads));
  if (!max_connections_text) max_connections_text = from_env(kMaxConnectionsEnv);
  if (max_connections_text && !parse_count(*max_connections_text, 65536, &out.config.max_connections))
    return usage_error("--max-connections: '" + *max_connections_text + "' is not a number from 1 to 65536");
  if (max_profile_duration_text && !parse_count(*max_profile_duration_text, 86400, &out.config.max_profile_duration_s))
    return usage_error("--max-profile-duration: '" + *max_profile_duration_text + "' is not a number from 1 to 86400");
  if (profile_memory_text && !parse_count(*profile_memory_text, 65536, &out.config.profile_memory_mb))
    return usage_error("--profile-memory-mb: '" + *profile_memory_text + "' is not a number from 1 to 65536");
  if (!analysis_cache_text) analysis_cache_text = from_env(kAnalysisCacheEnv);
  if (analysis_cache_text && !parse_count(*analysis_cache_text, 1000000, &out.config.analysis_cache))
    return usage_error("--analysis-cache: '" + *analysis_cache_text + "' is not a number from 1 to 1000000");
  // Only the name is checked here: a model file that does not load is logged at start and the
  // coordinator runs on with every class "unknown" (analysis/analysis_service.hpp).
  if (!model_file_text) model_file_text = from_env(kModelFileEnv);
  if (model_file_text) {
    if (model_file_text->empty()) return usage_error("--model-file: the file name must not be empty");
    out.config.model_file = *model_file_text;
  }
  if (!analysis_background_text) analysis_background_text = from_env(kAnalysisBackgroundEnv);
  if (analysis_background_text) {
    if (*analysis_background_text != "on" && *analysis_background_text != "off")
      return usage_error("--analysis-background: '" + *analysis_background_text + "' is not on or off");
    out.config.analysis_background = *analysis_background_text == "on";
  }
  if (!detect_interval_text) detect_interval_text = from_env(kDetectIntervalEnv);
  if (detect_interval_text) {
    // 0 is allowed here (off), unlike the counts above.
    if (*detect_interval_text == "0") {
      out.config.detect_interval_s = 0;
    } else if (!parse_count(*detect_interval_text, 86400, &out.config.detect_interval_s)) {
      return usage_error("--detect-interval: '" + *detect_interval_text + "' is not a number from 0 to 86400");
    }
  }
  // Each: flag, else environment, else default; the message names what was wrong and the range.
  auto number_setting = [&](std::optional<std::string>& text, std::string_view env_name, const char* flag,
                            std::size_t min, std::size_t max, std::size_t* slot) -> bool {
    if (!text) text = from_env(env_name);
    if (!text || parse_number(*text, min, max, slot)) return true;
    usage_error(std::string(flag) + ": '" + *text + "' is not a whole number from " + std::to_string(min) + " to " +
                std::to_string(max));
    return false;
  };
  if (!number_setting(archive_after_text, kArchiveAfterEnv, "--archive-after", 0, 31536000, &out.config.archive_after_s) ||
      !number_setting(archive_window_text, kArchiveWindowEnv, "--archive-window", 1, 2592000, &out.config.archive_window_s) ||
      !number_setting(archive_interval_text, kArchiveIntervalEnv, "--archive-interval", 1, 86400,
                      &out.config.archive_interval_s) ||
      !number_setting(max_db_text, kMaxDbMbEnv, "--max-db-mb", 0, 1048576, &out.config.max_db_mb) ||
      !number_setting(budget_rss_text, kBudgetRssEnv, "--budget-rss-mb", 1, 1048576, &out.config.budget_rss_mb)) {
    return out;
  }
  if (!budget_cpu_text) budget_cpu_text = from_env(kBudgetCpuEnv);
  if (budget_cpu_text && !parse_percent(*budget_cpu_text, 6400, &out.config.budget_cpu_percent))
    return usage_error("--budget-cpu-percent: '" + *budget_cpu_text +
                       "' is not a number above 0 and at most 6400 (percent of one core, e.g. 5 or 2.5)");

  if (!rank_rules_text) rank_rules_text = from_env(kRankRulesEnv);
  if (rank_rules_text) {
    if (rank_rules_text->empty()) return usage_error("--rank-rules: the file name must not be empty");
    out.config.rank_rules_file = *rank_rules_text;
  }

  if (!out.config.listen.is_loopback() && !out.config.allow_remote) {
    return usage_error("refusing to listen on " + out.config.listen.to_string() +
                       ": not a loopback address, and this API can read the memory of any process "
                       "it may trace; add --allow-remote if that is intended");
  }
  return out;
}

std::string help_text() {
  return R"(usage: dbgcoord [--listen HOST:PORT] [--data-dir DIR] [--token-file FILE] [--workers N]
                [--batch-size N] [--max-queue N] [--io-threads N] [--max-connections N] [--rank-rules FILE]
                [--allow-other-users] [--allow-remote] [--max-profile-duration S] [--profile-memory-mb N]
                [--analysis-cache N] [--analysis-background on|off] [--model-file FILE]
                [--detect-interval S] [--archive-after S] [--archive-window S] [--archive-interval S]
                [--max-db-mb N] [--budget-rss-mb N] [--budget-cpu-percent P] [--list-routes] [--help] [--version]

dbgcoord coordinates debugging workers (stack snapshots, profiles, crash watches) on this host
and serves them over HTTP.

flags:
  --listen HOST:PORT  address to serve HTTP on; HOST is an IPv4 address, [IPv6] or localhost,
                      PORT 0 picks a free port (the startup line shows it)
                      (env DBGCOORD_LISTEN, default 127.0.0.1:7070)
  --workers N         worker processes at most, 1..32 (env DBGCOORD_WORKERS,
                      default min(32, 4 x cores))
  --batch-size N      targets per batch, dispatched in rank order (env DBGCOORD_BATCH_SIZE,
                      default 8)
  --max-queue N       targets waiting or running at most, across sessions; a session that
                      would exceed it gets 503 + Retry-After (env DBGCOORD_MAX_QUEUE, default 4096)
  --io-threads N      threads serving HTTP, WebSocket and worker pipes, 1..64
                      (env DBGCOORD_IO_THREADS, default min(4, cores / 2), at least 1)
  --max-connections N open HTTP and WebSocket connections at most, 1..65536; one more gets 503
                      (env DBGCOORD_MAX_CONNECTIONS, default 256)
  --max-profile-duration S  longest profile a session may ask for, seconds (default 300)
  --profile-memory-mb N      sample memory of all running profiles together (default 50); each
                      profile job gets a share, and its oldest samples are evicted beyond it
  --detect-interval S  every S seconds, check each crash-watched process for a deadlock (one
                      process-consistency snapshot each; findings become DEADLOCK error groups),
                      0..86400 (env DBGCOORD_DETECT_INTERVAL, default 0: off; sessions with
                      "options":{"detect":"deadlock"} check on demand)
  --archive-after S   raw error events older than S seconds (by their timestamp) are folded
                      into archives and deleted, 0..31536000 (env DBGCOORD_ARCHIVE_AFTER,
                      default 3600)
  --archive-window S  one archive per error group and window of S seconds, 1..2592000
                      (env DBGCOORD_ARCHIVE_WINDOW, default 3600)
  --archive-interval S  seconds between archive runs, 1..86400 (env DBGCOORD_ARCHIVE_INTERVAL,
                      default 300); POST /api/v1/archives/run runs one at once
  --max-db-mb N       size cap of the database in MiB: beyond it the oldest archives are
                      pruned after each archive run, 0..1048576, 0 = no cap
                      (env DBGCOORD_MAX_DB_MB, default 1024)
  --budget-rss-mb N   the coordinator's own resident-memory budget in MiB, 1..1048576
                      (env DBGCOORD_BUDGET_RSS_MB, default 50)
  --budget-cpu-percent P  its CPU budget in percent of one core over the last minute, e.g. 5
                      or 2.5 (env DBGCOORD_BUDGET_CPU_PERCENT, default 5). Over budget it sheds
                      load in this order: halves the sampling rate of new profile sessions,
                      shrinks its caches, refuses new sessions (503 + Retry-After); it undoes
                      that in reverse once back under budget
  --rank-rules FILE   importance rules, JSON [{"name","match","weight"}]: a regex over comm and
                      cmdline adds its weight to a process's score (env DBGCOORD_RANK_RULES)
  --allow-other-users also trace processes of other users (default: only our own uid's)
  --analysis-cache N  error analyses (class, confidence, similar groups) cached by signature,
                      least recently used evicted, 1..1000000 (env DBGCOORD_ANALYSIS_CACHE,
                      default 1000)
  --analysis-background on|off  analyse the error groups each ingested batch touched in the
                      background (on), or only when a group is read (off: ingest does no
                      analysis work at all) (env DBGCOORD_ANALYSIS_BACKGROUND, default on)
  --model-file FILE   the crash classifier's model (JSON, models/crash_classifier.v1.json's
                      format); a file that does not load is logged and every error group is
                      then classified "unknown" with confidence 0 (env DBGCOORD_MODEL_FILE,
                      default: the model built into dbgcoord)
  --data-dir DIR      directory for the database (DIR/dbgcoord.db); created with mode 0700
                      if missing (env DBGCOORD_DATA_DIR, default ./data)
  --token-file FILE   the API token, one word of at least 16 printable characters; the file
                      must not be accessible by group or others (env DBGCOORD_TOKEN_FILE;
                      default DIR/token, generated with mode 0600 at first start)
  --allow-remote      allow a non-loopback --listen address; anyone who can reach the port can
                      read the memory of the processes this server may trace
  --list-routes       print every HTTP route (METHOD PATTERN, one per line; the WebSocket
                      endpoint marked "websocket") and exit; opens DIR like a normal start
  --help, -h          print this help and exit
  --version           print the version and exit

Flags take precedence over environment variables. On start dbgcoord prints one line to stdout:
  dbgcoord listening on http://HOST:PORT (data: DIR)
Logs go to stderr; one of the first lines says where the API token is. Every /api route and
/metrics need it, e.g. curl -H "Authorization: Bearer TOKEN" http://HOST:PORT/api/v1/processes
(/healthz needs none). SIGINT or SIGTERM stop it gracefully.

exit status: 0 stopped by a signal or --help; 1 runtime failure (address in use, database
newer than this version, unusable data directory or token file); 2 bad flag or value.
)";
}

std::string_view version() { return DBGCOORD_VERSION; }

std::size_t Config::default_workers() {
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::size_t n = cores > 0 ? static_cast<std::size_t>(cores) * 4 : 4;
  return n < kMaxWorkers ? n : kMaxWorkers;
}

std::size_t Config::default_io_threads() {
  // Half the cores, at most 4: the rest belongs to the workers (the ptrace work), the store's
  // writer and the targets themselves. Measured on 2 cores: a second io thread made /healthz's
  // p99 under light load 2.9 ms instead of 0.35 ms (io threads preempting each other) and did
  // not make sessions faster; beyond a few threads the io work stops scaling anyway.
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::size_t n = cores > 1 ? static_cast<std::size_t>(cores) / 2 : 1;
  return n < 4 ? n : 4;
}

}  // namespace dbg::coord
