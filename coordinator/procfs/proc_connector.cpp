#include "coordinator/procfs/proc_connector.hpp"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dbg::coord::procfs {

namespace {

// One netlink message carrying one connector message carrying a proc_cn_mcast_op.
bool send_mcast_op(int fd, proc_cn_mcast_op op) {
  alignas(nlmsghdr) char request[NLMSG_SPACE(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))] = {};
  auto* header = reinterpret_cast<nlmsghdr*>(request);
  header->nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_cn_mcast_op));
  header->nlmsg_type = NLMSG_DONE;
  header->nlmsg_pid = 0;  // the kernel knows our port from the bind
  auto* message = reinterpret_cast<cn_msg*>(NLMSG_DATA(header));
  message->id.idx = CN_IDX_PROC;
  message->id.val = CN_VAL_PROC;
  message->len = sizeof(proc_cn_mcast_op);
  std::memcpy(message->data, &op, sizeof op);
  return ::send(fd, request, header->nlmsg_len, 0) == static_cast<ssize_t>(header->nlmsg_len);
}

Error unavailable(const std::string& what, int err) {
  return Error{"proc_connector_unavailable", what + ": " + std::strerror(err)};
}

}  // namespace

Result<ProcConnector> ProcConnector::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR));
  if (!fd.valid()) return unavailable("socket(NETLINK_CONNECTOR)", errno);
  // A deep queue rides out bursts (a build forking thousands of compilers); as root the limit
  // of net.core.rmem_max does not apply (SO_RCVBUFFORCE), otherwise the plain request is capped.
  int bytes = 8 << 20;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = CN_IDX_PROC;
  address.nl_pid = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    return unavailable("bind(CN_IDX_PROC)", errno);
  if (!send_mcast_op(fd.get(), PROC_CN_MCAST_LISTEN)) return unavailable("PROC_CN_MCAST_LISTEN", errno);
  return ProcConnector(std::move(fd));
}

ProcConnector::~ProcConnector() {
  if (fd_.valid()) send_mcast_op(fd_.get(), PROC_CN_MCAST_IGNORE);
}

ProcConnector::Drained ProcConnector::drain(const std::function<void(const ProcEvent&)>& each) {
  Drained out;
  alignas(nlmsghdr) char buffer[16384];
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        // The queue overflowed: events were dropped. What is queued after is still good.
        out.overflowed = true;
        continue;
      }
      return out;  // EAGAIN: nothing more queued now
    }
    auto* header = reinterpret_cast<nlmsghdr*>(buffer);
    for (int left = static_cast<int>(n); NLMSG_OK(header, static_cast<unsigned>(left)); header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_type == NLMSG_ERROR || header->nlmsg_type == NLMSG_NOOP) continue;
      if (header->nlmsg_len < NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_event))) continue;
      auto* message = reinterpret_cast<cn_msg*>(NLMSG_DATA(header));
      if (message->id.idx != CN_IDX_PROC || message->id.val != CN_VAL_PROC) continue;
      proc_event event;
      std::memcpy(&event, message->data, sizeof event);  // the payload is not aligned for it
      switch (event.what) {
        case proc_event::PROC_EVENT_FORK:
          // A new thread is a fork too; only a new thread group is a process.
          if (event.event_data.fork.child_pid == event.event_data.fork.child_tgid) {
            each(ProcEvent{ProcEvent::Kind::fork, event.event_data.fork.child_tgid});
            ++out.events;
          }
          break;
        case proc_event::PROC_EVENT_EXEC:
          each(ProcEvent{ProcEvent::Kind::exec, event.event_data.exec.process_tgid});
          ++out.events;
          break;
        case proc_event::PROC_EVENT_EXIT:
          // The leader's exit; other threads' exits only change a count the scans refresh.
          if (event.event_data.exit.process_pid == event.event_data.exit.process_tgid) {
            each(ProcEvent{ProcEvent::Kind::exit, event.event_data.exit.process_tgid});
            ++out.events;
          }
          break;
        case proc_event::PROC_EVENT_COMM:
          // A thread naming itself is not the process's name; the leader's is.
          if (event.event_data.comm.process_pid == event.event_data.comm.process_tgid) {
            each(ProcEvent{ProcEvent::Kind::comm, event.event_data.comm.process_tgid});
            ++out.events;
          }
          break;
        case proc_event::PROC_EVENT_UID:
          if (event.event_data.id.process_pid == event.event_data.id.process_tgid) {
            each(ProcEvent{ProcEvent::Kind::uid, event.event_data.id.process_tgid});
            ++out.events;
          }
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace dbg::coord::procfs
