#include "coordinator/pool/worker_channel.hpp"

#include <utility>

#include "coordinator/logging/log.hpp"
#include "coordinator/pool/worker_process.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::pool {

namespace {

// The answer's error object as an Error; a worker that answers "error" without one still fails
// the request, with a code saying so.
Error error_of(const nlohmann::json& line) {
  auto it = line.find("error");
  if (it == line.end() || !it->is_object())
    return Error{"worker_protocol_error", "an error answer without an error object"};
  auto text = [&](const char* key, const char* fallback) {
    auto f = it->find(key);
    return f != it->end() && f->is_string() ? f->get<std::string>() : std::string(fallback);
  };
  return Error{text("code", "worker_error"), text("message", "")};
}

std::string string_field(const nlohmann::json& line, const char* key) {
  auto it = line.find(key);
  return it != line.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::shared_ptr<WorkerChannel> WorkerChannel::open(boost::asio::io_context& ioc, boost::asio::any_io_executor strand,
                                                   Config config, EventHandler on_event, ExitHandler on_exit) {
  std::shared_ptr<WorkerChannel> self(new WorkerChannel(std::move(config), std::move(on_event), std::move(on_exit)));
  // Weak: the process's pending read outlives calls, and must not keep the channel (and through
  // its handlers, the channel's owner) alive.
  std::weak_ptr<WorkerChannel> weak = self;
  self->process_ = WorkerProcess::spawn(
      ioc, std::move(strand), self->config_.executable, self->config_.mode,
      [weak](std::string line) {
        if (auto channel = weak.lock()) channel->on_line(std::move(line));
      },
      [weak](std::string reason) {
        if (auto channel = weak.lock()) channel->on_child_exit(std::move(reason));
      });
  return self;
}

WorkerChannel::WorkerChannel(Config config, EventHandler on_event, ExitHandler on_exit)
    : config_(std::move(config)), on_event_(std::move(on_event)), on_exit_(std::move(on_exit)) {}

WorkerChannel::~WorkerChannel() {
  if (process_ && process_->alive()) process_->kill("its channel was closed");
}

pid_t WorkerChannel::pid() const { return process_->pid(); }

bool WorkerChannel::alive() const { return !ended_ && process_->alive(); }

std::string WorkerChannel::send(Request request) {
  std::string id = config_.id_prefix + std::to_string(next_id_++);
  Pending p{std::move(request.on_reply), std::move(request.on_raw_reply), std::move(request.on_progress)};
  if (ended_) {
    finish(p, *ended_);
    return id;
  }
  request.body["v"] = protocol::kVersion;
  request.body["id"] = id;
  if (p.on_reply || p.on_raw_reply || p.on_progress) pending_[id] = std::move(p);
  process_->send(protocol::dump(request.body));
  return id;
}

bool WorkerChannel::forget(const std::string& id) { return pending_.erase(id) > 0; }

void WorkerChannel::kill(std::string reason) { process_->kill(std::move(reason)); }

void WorkerChannel::finish(Pending& p, Result<nlohmann::json> answer) {
  if (p.on_raw_reply) {
    p.on_raw_reply(answer ? Result<std::string>(protocol::dump(answer.value())) : Result<std::string>(answer.error()));
  } else if (p.on_reply) {
    p.on_reply(std::move(answer));
  }
}

bool WorkerChannel::try_raw_result(const std::string& line) {
  if (line.empty() || line.back() != '}') return false;
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (!it->second.on_raw_reply) continue;
    std::string prefix = protocol::result_line_prefix(it->first);
    if (line.size() <= prefix.size() + 1 || line.compare(0, prefix.size(), prefix) != 0) continue;
    auto done = std::move(it->second.on_raw_reply);
    pending_.erase(it);
    done(line.substr(prefix.size(), line.size() - prefix.size() - 1));
    return true;
  }
  return false;
}

void WorkerChannel::on_line(std::string text) {
  if (try_raw_result(text)) return;
  auto parsed = protocol::parse_bounded_json(text, kMaxLineDepth);
  if (!parsed) return on_unreadable(text, parsed.error().message);
  if (!parsed.value().is_object()) return on_unreadable(text, "not a JSON object");
  nlohmann::json& line = parsed.value();
  auto id_field = line.find("id");
  if (id_field == line.end() || !id_field->is_string()) {
    if (on_event_) on_event_(line);
    return;
  }
  auto it = pending_.find(id_field->get<std::string>());
  if (it == pending_.end()) return;  // an answer nobody waits for any more
  std::string type = string_field(line, "type");
  if (type == "progress") {
    // Progress does not end the request.
    auto progress = line.find("progress");
    if (it->second.on_progress && progress != line.end() && progress->is_object()) it->second.on_progress(*progress);
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (type == "result") {
    auto result = line.find("result");
    finish(p, result == line.end() ? nlohmann::json(nullptr) : std::move(*result));
  } else if (type == "pong") {
    finish(p, nlohmann::json(nullptr));
  } else if (type == "error") {
    finish(p, error_of(line));
  } else {
    finish(p, Error{"worker_protocol_error", "unexpected answer type '" + type + "'"});
  }
}

void WorkerChannel::on_unreadable(const std::string& line, const std::string& why) {
  if (config_.kill_on_unreadable) {
    // What it says next cannot be trusted either: end it, which fails what waits on it.
    process_->kill("worker_protocol_error: unparseable line (" + why + ")");
    return;
  }
  DBG_LOG_WARN("{} {} said something unreadable ({}): {}", config_.mode == "watch" ? "watcher" : "worker",
               process_->pid(), why, line.substr(0, 200));
}

void WorkerChannel::on_child_exit(std::string reason) {
  if (ended_) return;
  ended_ = on_exit_ ? on_exit_(reason) : Error{"worker_crashed", reason};
  auto waiting = std::exchange(pending_, {});
  for (auto& [id, p] : waiting) finish(p, *ended_);
}

}  // namespace dbg::coord::pool
