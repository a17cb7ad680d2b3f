-- fleet_fill.sql — the merged groups list's data set for bench/run_fleet_bench.sh, written straight
-- into the fleet schema (migrations/fleet/) with generate_series: 100 hosts, 100,000 groups whose
-- counts sum to exactly 10,000,000 (skewed: count ~ 1/rank^0.7, the head groups hold most events),
-- and per group 1..9 hosts (5 on average), each with its share of the count, so fleet_host_groups
-- has ~500,000 rows (~5,000 per host). fleet_groups.count and hosts_affected equal the sums of
-- fleet_host_groups, as fleet::ship keeps them. last_seen spread over 30 days.
\set ON_ERROR_STOP on
SELECT setseed(0.42);
TRUNCATE fleet_samples, fleet_host_groups, fleet_groups, fleet_publishers, fleet_hosts;

INSERT INTO fleet_hosts (host, boot_id, instance, version, labels, heartbeat_s)
SELECT format('host-%s', lpad(h::text, 3, '0')), md5('boot' || h), md5('instance' || h), 'fleet_bench',
       jsonb_build_object('rack', 'r' || (h % 10)), 5
FROM generate_series(0, 99) h;

CREATE TEMP TABLE bench_groups AS
WITH base AS (
  SELECT i, substr(md5('group' || i), 1, 16) AS signature, 1.0 / power(i, 0.7) AS w,
         1 + floor(random() * 9)::int AS k,
         (extract(epoch FROM now()) * 1000)::bigint - floor(random() * 30 * 86400000)::bigint AS last_seen
  FROM generate_series(1, 100000) i
), counted AS (
  SELECT *, floor(10000000 * w / sum(w) OVER ())::bigint AS c FROM base
)
SELECT i, signature, k, last_seen,
       (c + CASE WHEN i = 1 THEN 10000000 - sum(c) OVER () ELSE 0 END)::bigint AS count,
       last_seen - floor(random() * 30 * 86400000)::bigint AS first_seen
FROM counted;

INSERT INTO fleet_groups (signature, error_class, type, message, count, hosts_affected, first_seen, last_seen)
SELECT signature,
       CASE WHEN i % 10 < 2 THEN 'crash' WHEN i % 10 = 2 THEN 'exit' ELSE 'reported' END,
       CASE WHEN i % 10 < 2 THEN 'SIGSEGV' WHEN i % 10 = 2 THEN 'exit 1' ELSE 'std::out_of_range' END,
       format('vector::_M_range_check: __n (which is %s) >= this->size() in shop::Handler%s::serve', i % 97, i),
       count, k, first_seen, last_seen
FROM bench_groups;

-- Host j of group i: (7 i + 13 j) mod 100, distinct for j < 9 (13 is prime to 100). The first
-- host takes the remainder and saw the group last.
INSERT INTO fleet_host_groups (signature, host, count, first_seen, last_seen)
SELECT g.signature, format('host-%s', lpad(((7 * g.i + 13 * j) % 100)::text, 3, '0')),
       g.count / g.k + CASE WHEN j = 0 THEN g.count % g.k ELSE 0 END,
       least(g.first_seen + j * 60000, g.last_seen - j * 60000), g.last_seen - j * 60000
FROM bench_groups g, generate_series(0, 8) j
WHERE j < g.k;

VACUUM ANALYZE fleet_hosts;
VACUUM ANALYZE fleet_groups;
VACUUM ANALYZE fleet_host_groups;

SELECT (SELECT count(*) FROM fleet_groups) AS groups,
       (SELECT sum(count) FROM fleet_groups) AS events,
       (SELECT count(*) FROM fleet_host_groups) AS host_rows,
       (SELECT sum(count) FROM fleet_host_groups) AS host_events,
       (SELECT count(*) FROM fleet_host_groups WHERE host = 'host-042') AS host_042_rows,
       (SELECT min(count) FROM fleet_host_groups) AS min_host_count;
