#include "coordinator/crash/handler_json.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dbg/unique_fd.hpp"

namespace dbg::coord::crash {

nlohmann::json handler_json(int owner_pid, const std::string& instance, const std::string& previous,
                            const std::vector<CoreWatchSpec>& watches, const HandlerLimits& limits) {
  auto list = nlohmann::json::array();
  for (const auto& w : watches) {
    list.push_back({{"id", w.id},
                    {"match", w.match ? nlohmann::json(*w.match) : nlohmann::json(nullptr)},
                    {"all", w.all},
                    {"options", w.options.is_object() ? w.options : nlohmann::json::object()}});
  }
  return {{"v", 1},
          {"owner_pid", owner_pid},
          {"instance", instance},
          {"previous", {{"core_pattern", previous}}},
          {"watches", std::move(list)},
          {"limits",
           {{"time_limit_ms", limits.time_limit_ms},
            {"max_concurrent", limits.max_concurrent},
            {"spool_max_files", limits.spool_max_files},
            {"spool_max_bytes", limits.spool_max_bytes},
            {"report_max_bytes", limits.report_max_bytes},
            {"analysis_max_memory_bytes", limits.analysis_max_memory_bytes}}}};
}

Result<void> write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  auto fail = [&](const char* what) {
    Error e{"internal", std::string(what) + " " + tmp.string() + ": " + std::strerror(errno)};
    ::unlink(tmp.c_str());
    return e;
  };
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) return fail("cannot create");
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail("cannot write");
      off += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return fail("cannot fsync");
    if (fd.close() != 0) return fail("cannot close");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename");
  return {};
}

}  // namespace dbg::coord::crash
