#pragma once
// systemd's readiness protocol without libsystemd: one datagram ("READY=1", "STOPPING=1") to the
// unix socket $NOTIFY_SOCKET names (a path, or "@name" for the abstract namespace). Without
// NOTIFY_SOCKET (not started by systemd with Type=notify) it does nothing.
#include <string_view>

namespace dbg::coord {

// Sends state to $NOTIFY_SOCKET. True when sent; false when the variable is unset or the send
// failed (then nothing else happens: readiness is best effort, systemd's timeout is the judge).
bool sd_notify(std::string_view state);

}  // namespace dbg::coord
