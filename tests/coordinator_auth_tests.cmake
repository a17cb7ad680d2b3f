# API token and request authentication (coordinator/auth/, Router::set_auth, the event stream's
# admission rules).
dbg_add_test(coordinator_auth_token_test
  SOURCES unit/coordinator_auth_token_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_auth_request_test
  SOURCES unit/coordinator_auth_request_test.cpp
  LIBS dbg_coordinator_core)
# An in-process server (Listener + Router on a loopback port) answering over real sockets.
dbg_add_test(coordinator_auth_server_test
  SOURCES integration/coordinator_auth_server_test.cpp
  LIBS dbg_coordinator_core)
