#pragma once
// Whether our stdout is the systemd journal. Under the unit (packaging/dbgcoord.service) stdout
// goes to journald, where every reader of the system journal would see what we print there;
// the dashboard URL carries the API token, so it is printed without it then (app.cpp).
// systemd.exec(5): JOURNAL_STREAM holds "DEVICE:INODE" of the stream it connected stdout or
// stderr to; comparing it with fstat(1) tells a journal stdout from one redirected elsewhere.
namespace dbg::coord {

bool stdout_is_journal();

}  // namespace dbg::coord
