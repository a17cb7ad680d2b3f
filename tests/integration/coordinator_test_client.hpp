#pragma once
// Helpers for the coordinator's integration tests: a temporary data directory, a running
// dbgcoord on an ephemeral loopback port, and a minimal HTTP/1.1 client over a plain POSIX
// socket (deliberately not Beast: the client must not share the server's HTTP code, or both
// could agree on the same mistake).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace dbg::coord::test {

using namespace std::chrono_literals;

// A file's text without its trailing newlines and spaces: the token file, a log line, a pid.
inline std::string read_trimmed_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// mkdtemp directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/dbgcoord-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline constexpr std::string_view kStartupPrefix = "dbgcoord listening on http://";

// The port in "dbgcoord listening on http://127.0.0.1:PORT (data: DIR)", or nullopt.
inline std::optional<int> parse_startup_port(const std::string& line) {
  if (line.rfind(kStartupPrefix, 0) != 0) return std::nullopt;
  auto space = line.find(' ', kStartupPrefix.size());
  auto address = line.substr(kStartupPrefix.size(), space - kStartupPrefix.size());
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    return std::stoi(address.substr(colon + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A dbgcoord child process, started and waited for until its startup line appeared.
struct Coordinator {
  dbg::test::ChildProcess process;
  std::string startup_line;
  int port = 0;
};

inline Coordinator start_coordinator(const std::vector<std::string>& args,
                                     const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{dbg::test::bin_path("dbgcoord")};
  argv.insert(argv.end(), args.begin(), args.end());
  Coordinator c{dbg::test::ChildProcess(argv, env), {}, 0};
  // The startup line is the only thing dbgcoord writes to stdout.
  auto line = c.process.read_line(10s);
  if (!line) throw std::runtime_error("dbgcoord printed no startup line (did it exit? see its stderr above)");
  auto port = parse_startup_port(*line);
  if (!port) throw std::runtime_error("unexpected startup line: " + *line);
  c.startup_line = *line;
  c.port = *port;
  return c;
}

// dbgcoord run to its exit, under timeout(1): a command that should exit at once but serves
// instead fails its test rather than hanging it.
inline dbg::test::CommandResult run_dbgcoord(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"timeout", "20", dbg::test::bin_path("dbgcoord")};
  argv.insert(argv.end(), args.begin(), args.end());
  return dbg::test::run_command(argv);
}

inline Coordinator start_coordinator_in(const std::filesystem::path& data_dir) {
  return start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", data_dir.string()});
}

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One TCP connection to 127.0.0.1:port; requests and responses are written and parsed by hand.
class HttpConnection {
 public:
  explicit HttpConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
    }
  }
  ~HttpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void send_raw(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<std::size_t>(n);
    }
  }

  // Sends a request; a Content-Length header is added when body is not empty.
  void send_request(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::vector<std::string>& headers = {}) {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : headers) request += h + "\r\n";
    if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    send_raw(request);
  }

  // Reads one response framed by Content-Length (all the server sends). nullopt on EOF or
  // timeout before a complete response.
  std::optional<HttpReply> read_response(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    HttpReply reply;
    std::string head = buffer_.substr(0, header_end);
    auto line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    reply.status = std::stoi(status_line.substr(9, 3));
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string field = head.substr(pos, end - pos);
      auto colon = field.find(':');
      if (colon != std::string::npos) {
        std::string name = field.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string value = field.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        reply.headers[name] = value;
      }
      pos = end + 2;
    }
    std::size_t length = reply.headers.count("content-length") ? std::stoul(reply.headers["content-length"]) : 0;
    if (head_only_) length = 0;
    std::size_t body_start = header_end + 4;
    while (buffer_.size() < body_start + length) {
      if (!fill(deadline)) return std::nullopt;
    }
    reply.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    return reply;
  }

  // A response to HEAD carries Content-Length but no body; tell the parser.
  void expect_head_response(bool head) { head_only_ = head; }

  // True when the server closed the connection (EOF) within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::size_t before = buffer_.size();
      if (!fill(deadline)) return eof_;
      if (buffer_.size() == before) return eof_;
    }
  }

 private:
  // Reads more into buffer_; false on EOF, error or deadline.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;  // EOF, or a reset (also the end of the connection)
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool head_only_ = false;
  bool eof_ = false;
};

// One request on a fresh connection.
inline HttpReply http_request(int port, const std::string& method, const std::string& target,
                              const std::string& body = {}) {
  HttpConnection connection(port);
  connection.send_request(method, target, body, {"Connection: close"});
  auto reply = connection.read_response();
  if (!reply) throw std::runtime_error("no response to " + method + " " + target);
  return *reply;
}

// One request with the API token on a fresh connection (a JSON body gets its Content-Type): what
// every test's server fixture sends to an /api route.
inline HttpReply authorized_request(int port, const std::string& token, const std::string& method,
                                    const std::string& target, const std::string& body = {},
                                    std::chrono::milliseconds timeout = 30s) {
  HttpConnection connection(port);
  std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  connection.send_request(method, target, body, headers);
  auto reply = connection.read_response(timeout);
  if (!reply) throw std::runtime_error("no response to " + method + " " + target);
  return *reply;
}

// Exit code from a raw wait status; -1 when the process did not exit normally.
inline int exit_code_of(std::optional<int> status) {
  if (!status || !WIFEXITED(*status)) return -1;
  return WEXITSTATUS(*status);
}

}  // namespace dbg::coord::test
