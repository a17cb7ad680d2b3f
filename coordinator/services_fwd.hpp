#pragma once
// Forward declarations of the coordinator's services, for headers that only hold references to
// them (the route registrations): naming a service costs no include of its header.
namespace dbg::coord {
namespace http {
class Router;
}
namespace pool {
class WorkerPool;
}
namespace store {
class Store;
class StatementCache;
}  // namespace store
namespace events {
class Hub;
}
namespace sessions {
class Scheduler;
class TargetResolver;
}  // namespace sessions
namespace budget {
class Shedding;
}
}  // namespace dbg::coord
