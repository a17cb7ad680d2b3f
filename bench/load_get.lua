-- wrk script of bench/run_load_bench.sh: GET one route with the API token.
-- DBG_TOKEN: the token; DBG_PATH: the route (e.g. /api/v1/processes).
local token = os.getenv("DBG_TOKEN")
local path = os.getenv("DBG_PATH")
wrk.method = "GET"
wrk.path = path
wrk.headers["Authorization"] = "Bearer " .. token
