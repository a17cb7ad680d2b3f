// The profile model's JSON, option validation and folded text.
#include "dbg/profile.hpp"

#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

namespace dbg {

namespace {

Error bad_request(std::string message) { return Error{"bad_request", std::move(message)}; }

uint64_t parse_hex(const nlohmann::json& j) {
  const auto& s = j.get_ref<const std::string&>();
  return std::strtoull(s.c_str(), nullptr, 16);
}

}  // namespace

const char* sampler_choice_name(SamplerChoice c) {
  switch (c) {
    case SamplerChoice::kPerf: return "perf";
    case SamplerChoice::kPtrace: return "ptrace";
    case SamplerChoice::kAuto: break;
  }
  return "auto";
}

Result<ProfileOptions> parse_profile_options(const nlohmann::json& options) {
  ProfileOptions out;
  if (!options.is_object()) return bad_request("options must be an object");
  nlohmann::json snapshot_part = nlohmann::json::object();
  for (const auto& [key, value] : options.items()) {
    if (key == "hz") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > kMaxProfileHz)
        return bad_request("hz must be an integer in 1.." + std::to_string(kMaxProfileHz) + " (samples per second)");
      out.hz = value.get<int>();
    } else if (key == "duration_s") {
      if (!value.is_number() || !(value.get<double>() > 0) || value.get<double>() > kMaxProfileDurationS)
        return bad_request("duration_s must be a number of seconds in (0, " +
                           std::to_string(static_cast<int>(kMaxProfileDurationS)) + "]");
      out.duration_s = value.get<double>();
    } else if (key == "max_overhead_pct") {
      if (!value.is_number() || !(value.get<double>() > 0) || value.get<double>() > 100)
        return bad_request("max_overhead_pct must be a number in (0, 100]");
      out.max_overhead_pct = value.get<double>();
    } else if (key == "include_idle") {
      if (!value.is_boolean()) return bad_request("include_idle must be true or false");
      out.include_idle = value.get<bool>();
    } else if (key == "max_bytes") {
      if (!value.is_number_integer() || value.get<int64_t>() < static_cast<int64_t>(kMinProfileBytes))
        return bad_request("max_bytes must be an integer >= " + std::to_string(kMinProfileBytes));
      out.max_bytes = value.get<uint64_t>();
    } else if (key == "sampler") {
      const std::string v = value.is_string() ? value.get<std::string>() : "";
      if (v == "auto") out.sampler = SamplerChoice::kAuto;
      else if (v == "perf") out.sampler = SamplerChoice::kPerf;
      else if (v == "ptrace") out.sampler = SamplerChoice::kPtrace;
      else return bad_request("sampler must be \"auto\", \"perf\" or \"ptrace\"");
    } else if (key == "max_depth" || key == "stack_bytes" || key == "source") {
      snapshot_part[key] = value;
    } else {
      return bad_request("unknown profile option \"" + key + "\"");
    }
  }
  auto snap = protocol::parse_snapshot_options(snapshot_part);
  if (!snap) return snap.error();
  out.max_depth = snap.value().max_depth;
  out.stack_bytes = snap.value().stack_bytes;
  out.source = snap.value().source;
  return out;
}

void to_json(nlohmann::json& j, const Profile& p) {
  nlohmann::json modules = nlohmann::json::array();
  for (const auto& m : p.modules)
    modules.push_back({{"name", m.name}, {"path", m.path}, {"build_id", m.build_id}, {"start", hex(m.start)}, {"end", hex(m.end)}});
  nlohmann::json frames = nlohmann::json::array();
  for (const auto& f : p.frames) {
    nlohmann::json fj = f;
    fj.erase("pc");
    frames.push_back(std::move(fj));
  }
  nlohmann::json locations = nlohmann::json::array();
  for (const auto& l : p.locations) locations.push_back({{"pc", hex(l.pc)}, {"module", l.module}, {"frames", l.frames}});
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& t : p.threads) threads.push_back({{"tid", t.tid}, {"name", t.name}, {"samples", t.samples}});
  nlohmann::json counts = nlohmann::json::array();
  for (const auto& c : p.counts) counts.push_back({c.thread, c.stack, c.samples, c.cpu_ns});
  j = {{"pid", p.pid},
       {"comm", p.comm},
       {"hz_requested", p.hz_requested},
       {"hz_effective", p.hz_effective},
       {"duration_s", p.duration_s},
       {"elapsed_s", p.elapsed_s},
       {"max_overhead_pct", p.max_overhead_pct},
       {"overhead_pct", p.overhead_pct},
       {"rate_limited", p.rate_limited},
       {"include_idle", p.include_idle},
       {"ticks", p.ticks},
       {"samples", p.samples},
       {"samples_captured", p.samples_captured},
       {"samples_reused", p.samples_reused},
       {"samples_evicted", p.samples_evicted},
       {"samples_failed", p.samples_failed},
       {"pause_us_total", p.pause_us_total},
       {"pause_us_max", p.pause_us_max},
       {"stop_wait_us_total", p.stop_wait_us_total},
       {"max_bytes", p.max_bytes},
       {"bytes_peak", p.bytes_peak},
       {"stop_reason", p.stop_reason},
       {"start_unix_ns", p.start_unix_ns},
       {"sampler", p.sampler},
       {"sampler_reason", p.sampler_reason},
       {"capture_sched", p.capture_sched},
       {"capture_sched_reason", p.capture_sched_reason},
       {"samples_lost", p.samples_lost},
       {"overhead_per_sample_us", p.overhead_per_sample_us},
       {"modules", std::move(modules)},
       {"frames", std::move(frames)},
       {"locations", std::move(locations)},
       {"stacks", p.stacks},
       {"threads", std::move(threads)},
       {"counts", std::move(counts)}};
}

void from_json(const nlohmann::json& j, Profile& p) {
  p.pid = j.at("pid");
  p.comm = j.at("comm");
  p.hz_requested = j.at("hz_requested");
  p.hz_effective = j.at("hz_effective");
  p.duration_s = j.at("duration_s");
  p.elapsed_s = j.at("elapsed_s");
  p.max_overhead_pct = j.at("max_overhead_pct");
  p.overhead_pct = j.at("overhead_pct");
  p.rate_limited = j.value("rate_limited", false);
  p.include_idle = j.value("include_idle", true);
  p.ticks = j.at("ticks");
  p.samples = j.at("samples");
  p.samples_captured = j.value("samples_captured", uint64_t{0});
  p.samples_reused = j.value("samples_reused", uint64_t{0});
  p.samples_evicted = j.value("samples_evicted", uint64_t{0});
  p.samples_failed = j.value("samples_failed", uint64_t{0});
  p.pause_us_total = j.value("pause_us_total", 0.0);
  p.pause_us_max = j.value("pause_us_max", 0.0);
  p.stop_wait_us_total = j.value("stop_wait_us_total", 0.0);
  p.max_bytes = j.value("max_bytes", uint64_t{0});
  p.bytes_peak = j.value("bytes_peak", uint64_t{0});
  p.stop_reason = j.value("stop_reason", "duration");
  p.start_unix_ns = j.value("start_unix_ns", int64_t{0});
  p.sampler = j.value("sampler", "ptrace");
  p.sampler_reason = j.value("sampler_reason", "");
  p.capture_sched = j.value("capture_sched", "");
  p.capture_sched_reason = j.value("capture_sched_reason", "");
  p.samples_lost = j.value("samples_lost", uint64_t{0});
  p.overhead_per_sample_us = j.value("overhead_per_sample_us", 0.0);
  p.modules.clear();
  for (const auto& m : j.at("modules"))
    p.modules.push_back({m.at("name"), m.value("path", ""), m.value("build_id", ""), parse_hex(m.at("start")), parse_hex(m.at("end"))});
  p.frames.clear();
  for (const auto& f : j.at("frames")) {
    nlohmann::json with_pc = f;
    with_pc["pc"] = "0x0";
    p.frames.push_back(with_pc.get<Frame>());
  }
  p.locations.clear();
  for (const auto& l : j.at("locations"))
    p.locations.push_back({parse_hex(l.at("pc")), l.at("module").get<int>(), l.at("frames").get<std::vector<uint32_t>>()});
  p.stacks = j.at("stacks").get<std::vector<std::vector<uint32_t>>>();
  p.threads.clear();
  for (const auto& t : j.at("threads")) p.threads.push_back({t.at("tid"), t.at("name"), t.value("samples", uint64_t{0})});
  p.counts.clear();
  for (const auto& c : j.at("counts")) p.counts.push_back({c.at(0), c.at(1), c.at(2), c.at(3)});
  // Indices come from outside (the worker, the database): refuse what would index out of range.
  auto check = [](bool ok, const char* what) {
    if (!ok) throw std::out_of_range(std::string("profile: ") + what + " index out of range");
  };
  for (const auto& l : p.locations) {
    check(l.module >= -1 && l.module < static_cast<int>(p.modules.size()), "module");
    for (auto f : l.frames) check(f < p.frames.size(), "frame");
  }
  for (const auto& s : p.stacks)
    for (auto l : s) check(l < p.locations.size(), "location");
  for (const auto& c : p.counts) check(c.thread < p.threads.size() && c.stack < p.stacks.size(), "count");
}

std::string profile_frame_name(const Frame& f) {
  if (f.function) return *f.function;
  return f.module + "+" + hex(f.offset);
}

namespace {

std::string folded_name(std::string s) {
  for (auto& c : s) {
    if (c == ';') c = ':';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

std::string format_profile_folded(const Profile& p, const FoldedOptions& options) {
  // Text per stack once, then counts summed by text: two stacks with different pcs inside the
  // same functions fold to one line, as flame graphs expect.
  std::vector<std::string> stack_text(p.stacks.size());
  for (size_t s = 0; s < p.stacks.size(); ++s) {
    std::string text;
    const auto& locs = p.stacks[s];
    for (auto it = locs.rbegin(); it != locs.rend(); ++it) {
      const auto& frames = p.locations[*it].frames;
      for (auto f = frames.rbegin(); f != frames.rend(); ++f) text += ";" + folded_name(profile_frame_name(p.frames[*f]));
    }
    if (locs.empty()) text = ";[no frames]";
    stack_text[s] = std::move(text);
  }
  const std::string root = folded_name(p.comm);
  std::map<std::string, uint64_t> lines;
  for (const auto& c : p.counts) {
    const auto& t = p.threads[c.thread];
    if (options.only_tid && t.tid != *options.only_tid) continue;
    std::string prefix = root;
    if (options.by_thread) prefix += ";" + folded_name(t.name) + "-" + std::to_string(t.tid);
    lines[prefix + stack_text[c.stack]] += c.samples;
  }
  std::string out;
  for (const auto& [line, count] : lines) {
    if (count == 0) continue;
    out += line + " " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace dbg
