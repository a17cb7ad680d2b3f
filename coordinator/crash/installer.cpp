#include "coordinator/crash/installer.hpp"

#include <unistd.h>

#include <fstream>

#include <spdlog/spdlog.h>

namespace dbg::coord::crash {

namespace fs = std::filesystem;

namespace {

constexpr const char* kHandlerJson = "handler.json";
constexpr const char* kPreviousFile = "previous_core_pattern";

// What a killed dbgcoord saved: the plain file first (written before the pattern was switched),
// else handler.json's "previous"; else the kernel's default.
std::string saved_previous(const fs::path& crash_dir) {
  std::ifstream plain(crash_dir / kPreviousFile);
  if (plain) {
    std::string v((std::istreambuf_iterator<char>(plain)), std::istreambuf_iterator<char>());
    if (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  std::ifstream hj(crash_dir / kHandlerJson);
  auto j = nlohmann::json::parse(hj, nullptr, false);
  if (j.is_object() && j.contains("previous") && j["previous"].is_object() && j["previous"].contains("core_pattern") &&
      j["previous"]["core_pattern"].is_string())
    return j["previous"]["core_pattern"].get<std::string>();
  return "core";
}

Result<void> make_dirs(const fs::path& crash_dir) {
  std::error_code ec;
  for (const char* sub : {"spool/new", "spool/tmp", "spool/bad", "slots"}) {
    fs::create_directories(crash_dir / sub, ec);
    if (ec) return Error{"internal", "cannot create " + (crash_dir / sub).string() + ": " + ec.message()};
  }
  // Root's own: the handler (root) writes reports here that the coordinator trusts as its own.
  fs::permissions(crash_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);
  return {};
}

}  // namespace

Installer::Installer(InstallerConfig config) : config_(std::move(config)) {}

bool Installer::installed() const {
  std::lock_guard lock(mutex_);
  return installed_;
}

std::string Installer::previous() const {
  std::lock_guard lock(mutex_);
  return previous_;
}

Result<void> Installer::check_locked(const std::string& current, const std::string& ours) const {
  switch (classify_pattern(current, ours)) {
    case PatternOwner::socket:
    case PatternOwner::other_instance:
      return Error{"conflict", "core_pattern is owned by " + describe_owner(current) +
                                   "; core mode cannot chain to it (use ptrace mode, or change core_pattern)"};
    default:
      return {};
  }
}

Result<void> Installer::check() const {
  std::lock_guard lock(mutex_);
  if (config_.require_root && ::geteuid() != 0)
    return Error{"forbidden", "core mode changes /proc/sys/kernel/core_pattern: dbgcoord must run as root (use ptrace mode)"};
  auto ours = handler_pattern(config_.worker, config_.crash_dir);
  if (!ours) return ours.error();
  auto current = read_core_pattern(config_.core_pattern_file);
  if (!current) return current.error();
  if (::access(config_.core_pattern_file.c_str(), W_OK) != 0)
    return Error{"forbidden", config_.core_pattern_file.string() + " is not writable here (a container?): use ptrace mode"};
  return check_locked(current.value(), ours.value());
}

Result<void> Installer::write_handler_json_locked(const std::vector<CoreWatchSpec>& watches) {
  auto j = handler_json(static_cast<int>(::getpid()), config_.instance, previous_, watches, config_.limits);
  return write_file_atomic(config_.crash_dir / kHandlerJson, j.dump(2) + "\n");
}

Result<void> Installer::install_locked(const std::vector<CoreWatchSpec>& watches) {
  if (config_.require_root && ::geteuid() != 0)
    return Error{"forbidden", "core mode changes /proc/sys/kernel/core_pattern: dbgcoord must run as root (use ptrace mode)"};
  auto ours = handler_pattern(config_.worker, config_.crash_dir);
  if (!ours) return ours.error();
  auto current = read_core_pattern(config_.core_pattern_file);
  if (!current) return current.error();
  if (auto ok = check_locked(current.value(), ours.value()); !ok) return ok;
  const bool already = classify_pattern(current.value(), ours.value()) == PatternOwner::ours;
  if (auto ok = make_dirs(config_.crash_dir); !ok) return ok;
  std::string previous = already ? saved_previous(config_.crash_dir) : current.value();
  // Saved before the switch: a crash right after it finds where to chain.
  if (auto ok = write_file_atomic(config_.crash_dir / kPreviousFile, previous + "\n"); !ok) return ok;
  previous_ = previous;
  if (auto ok = write_handler_json_locked(watches); !ok) return ok;
  if (!already) {
    if (auto ok = write_core_pattern(ours.value(), config_.core_pattern_file); !ok) return ok;
  }
  ours_ = ours.value();
  installed_ = true;
  spdlog::info("crash capture: core_pattern is our handler ({}); previous \"{}\"{}", ours_, previous_,
               already ? " (kept from the last run)" : "");
  return {};
}

bool Installer::adopt() {
  std::lock_guard lock(mutex_);
  if (installed_) return true;
  auto ours = handler_pattern(config_.worker, config_.crash_dir);
  auto current = read_core_pattern(config_.core_pattern_file);
  if (!ours || !current || classify_pattern(current.value(), ours.value()) != PatternOwner::ours) return false;
  ours_ = ours.value();
  previous_ = saved_previous(config_.crash_dir);
  installed_ = true;
  spdlog::info("crash capture: core_pattern is still our handler from the last run (previous \"{}\")", previous_);
  return true;
}

Result<void> Installer::apply(const std::vector<CoreWatchSpec>& watches) {
  if (watches.empty()) return uninstall();
  std::lock_guard lock(mutex_);
  if (!installed_) return install_locked(watches);
  return write_handler_json_locked(watches);
}

Result<void> Installer::uninstall() {
  std::lock_guard lock(mutex_);
  if (!installed_) return {};
  installed_ = false;
  auto current = read_core_pattern(config_.core_pattern_file);
  if (!current) return current.error();
  if (classify_pattern(current.value(), ours_) != PatternOwner::ours) {
    // Someone changed it meanwhile: theirs now, left alone.
    spdlog::warn("crash capture: core_pattern changed behind us to \"{}\"; not restoring", current.value());
    return {};
  }
  if (auto ok = write_core_pattern(previous_, config_.core_pattern_file); !ok) return ok;
  spdlog::info("crash capture: core_pattern restored to \"{}\"", previous_);
  return {};
}

}  // namespace dbg::coord::crash
