#include "coordinator/ranking/ranked_process.hpp"

#include "coordinator/procfs/utf8.hpp"

namespace dbg::coord::ranking {

void to_json(nlohmann::json& j, const ScoreTerm& term) {
  j = nlohmann::json{{"name", term.name}, {"points", term.points}, {"detail", term.detail}};
}

void to_json(nlohmann::json& j, const RankedProcess& ranked) {
  const auto& p = ranked.process;
  // comm and cmdline are bytes any local user chooses; repaired so that dump() cannot throw.
  j = nlohmann::json{
      {"pid", p.pid},
      {"ppid", p.ppid},
      {"uid", p.uid},
      {"comm", procfs::to_valid_utf8(p.comm)},
      {"cmdline", procfs::to_valid_utf8(p.cmdline)},
      {"state", std::string(1, p.state)},
      {"threads", p.threads},
      {"rss_bytes", p.rss_bytes},
      {"cpu_share", ranked.cpu_share},
      {"rss_growth_bytes_per_s", ranked.rss_growth_bytes_per_s},
      {"score", ranked.score},
      {"kernel_thread", p.kernel_thread},
      {"terms", ranked.terms},
  };
}

}  // namespace dbg::coord::ranking
