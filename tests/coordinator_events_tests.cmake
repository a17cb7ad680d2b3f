# Live events: the Hub, and the WebSocket endpoint /api/v1/events served by an in-process
# Listener, driven by Beast's synchronous WebSocket client.
dbg_add_test(coordinator_events_test
  SOURCES integration/coordinator_events_hub_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_events_websocket_test
  SOURCES integration/coordinator_events_websocket_test.cpp
  LIBS dbg_coordinator_core)
