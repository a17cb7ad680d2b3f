#include "coordinator/api/routes.hpp"

namespace dbg::coord::api {

void add_process_routes(http::Router& router, ApiContext ctx);
void add_session_routes(http::Router& router, ApiContext ctx);
void add_snapshot_routes(http::Router& router, ApiContext ctx);

void add_api_routes(http::Router& router, ApiContext context) {
  add_process_routes(router, context);
  add_session_routes(router, context);
  add_snapshot_routes(router, context);
}

}  // namespace dbg::coord::api
