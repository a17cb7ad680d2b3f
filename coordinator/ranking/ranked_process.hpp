#pragma once
// A process with its importance score and the terms that explain it: what GET
// /api/v1/processes lists and what sessions order their batches by.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/ranking/score.hpp"

namespace dbg::coord::ranking {

struct RankedProcess {
  procfs::ProcessSample process;
  double cpu_share = 0;  // fraction of one CPU over the interval (0..nthreads)
  int64_t rss_growth_bytes_per_s = 0;
  double score = 0;      // sum of terms' points
  std::vector<ScoreTerm> terms;
};

void to_json(nlohmann::json& j, const ScoreTerm& term);  // {"name","points","detail"}
// {"pid","ppid","uid","comm","cmdline","state","threads","rss_bytes","cpu_share",
//  "rss_growth_bytes_per_s","score","kernel_thread","terms":[{"name","points","detail"}]}
void to_json(nlohmann::json& j, const RankedProcess& ranked);

}  // namespace dbg::coord::ranking
