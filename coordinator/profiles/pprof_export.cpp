// profile.proto (github.com/google/pprof/proto/profile.proto), the field numbers used here:
//   Profile   1 sample_type  2 sample  3 mapping  4 location  5 function  6 string_table
//             9 time_nanos  10 duration_nanos  11 period_type  12 period  14 default_sample_type
//   ValueType 1 type  2 unit                     (string table indices)
//   Sample    1 location_id (packed, leaf first)  2 value (packed)  3 label
//   Label     1 key  2 str  3 num
//   Mapping   1 id  2 memory_start  3 memory_limit  4 file_offset  5 filename  6 build_id
//             7 has_functions  8 has_filenames  9 has_line_numbers  10 has_inline_frames
//   Location  1 id  2 mapping_id  3 address  4 line
//   Line      1 function_id  2 line
//   Function  1 id  2 name  3 system_name  4 filename
#include <cmath>
#include <map>
#include <unordered_map>

#include "coordinator/profiles/profile_exports.hpp"
#include "coordinator/profiles/protobuf_writer.hpp"
#include "coordinator/profiles/zlib_codec.hpp"

namespace dbg::coord::profiles {

namespace {

class StringTable {
 public:
  StringTable() { index(""); }  // string_table[0] must be ""
  int64_t index(const std::string& s) {
    auto [it, inserted] = ids_.try_emplace(s, static_cast<int64_t>(strings_.size()));
    if (inserted) strings_.push_back(s);
    return it->second;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::unordered_map<std::string, int64_t> ids_;
  std::vector<std::string> strings_;
};

ProtobufWriter value_type(StringTable& st, const char* type, const char* unit) {
  ProtobufWriter w;
  w.int_field(1, st.index(type));
  w.int_field(2, st.index(unit));
  return w;
}

}  // namespace

std::string to_pprof_proto(const Profile& p) {
  StringTable strings;
  ProtobufWriter out;
  out.message_field(1, value_type(strings, "samples", "count"));
  out.message_field(1, value_type(strings, "cpu", "nanoseconds"));

  // Samples: one per (thread, stack), labelled with the thread; values [samples, cpu ns].
  const int64_t thread_key = strings.index("thread"), tid_key = strings.index("thread_id");
  for (const auto& c : p.counts) {
    if (c.samples == 0) continue;
    ProtobufWriter s;
    std::vector<uint64_t> ids;
    for (uint32_t loc : p.stacks[c.stack]) ids.push_back(loc + 1);  // innermost first = leaf first
    s.packed_field(1, ids);
    s.packed_field(2, {c.samples, c.cpu_ns});
    ProtobufWriter name_label;
    name_label.int_field(1, thread_key);
    name_label.int_field(2, strings.index(p.threads[c.thread].name));
    s.message_field(3, name_label);
    ProtobufWriter tid_label;
    tid_label.int_field(1, tid_key);
    tid_label.int_field(3, p.threads[c.thread].tid);
    s.message_field(3, tid_label);
    out.message_field(2, s);
  }

  // Mappings: ids 1.., one per module.
  for (size_t m = 0; m < p.modules.size(); ++m) {
    const auto& mod = p.modules[m];
    ProtobufWriter w;
    w.int_field(1, static_cast<int64_t>(m + 1));
    w.varint_field(2, mod.start);
    w.varint_field(3, mod.end);
    w.varint_field(4, 0);  // libdw reports a module from its first PT_LOAD, which maps file offset 0
    w.int_field(5, strings.index(mod.path));
    w.int_field(6, strings.index(mod.build_id));
    w.int_field(7, 1);  // has_functions: every location was symbolized by us
    w.int_field(8, 1);
    w.int_field(9, 1);
    w.int_field(10, 1);
    out.message_field(3, w);
  }

  // Functions: one per (name, file), ids 1..; a frame without a symbol is named module+offset.
  std::map<std::pair<std::string, std::string>, uint64_t> function_ids;
  std::vector<uint64_t> frame_function(p.frames.size());
  for (size_t i = 0; i < p.frames.size(); ++i) {
    const Frame& f = p.frames[i];
    auto key = std::make_pair(profile_frame_name(f), f.file.value_or(""));
    auto [it, inserted] = function_ids.try_emplace(key, function_ids.size() + 1);
    frame_function[i] = it->second;
  }
  for (const auto& [key, id] : function_ids) {
    ProtobufWriter w;
    w.varint_field(1, id);
    w.int_field(2, strings.index(key.first));
    w.int_field(3, strings.index(key.first));
    w.int_field(4, strings.index(key.second));
    out.message_field(5, w);
  }

  // Locations: ids 1.. in table order; lines innermost first, the last one the real function
  // (profile.proto: "the last entry represents the caller into which the preceding entries
  // were inlined"), which is the order our frames already have.
  for (size_t l = 0; l < p.locations.size(); ++l) {
    const auto& loc = p.locations[l];
    ProtobufWriter w;
    w.int_field(1, static_cast<int64_t>(l + 1));
    if (loc.module >= 0) w.int_field(2, loc.module + 1);
    w.varint_field(3, loc.pc);
    for (uint32_t f : loc.frames) {
      ProtobufWriter line;
      line.varint_field(1, frame_function[f]);
      line.int_field_nonzero(2, p.frames[f].line.value_or(0));
      w.message_field(4, line);
    }
    out.message_field(4, w);
  }

  ProtobufWriter period_type = value_type(strings, "cpu", "nanoseconds");  // before the table is written
  for (const auto& s : strings.strings()) out.bytes_field(6, s);
  out.int_field_nonzero(9, p.start_unix_ns);
  out.int_field_nonzero(10, static_cast<int64_t>(std::llround(p.elapsed_s * 1e9)));
  out.message_field(11, period_type);
  if (p.hz_effective > 0) out.int_field(12, static_cast<int64_t>(std::llround(1e9 / p.hz_effective)));
  return out.take();
}

std::string to_pprof_gzip(const Profile& p) { return gzip_compress(to_pprof_proto(p)); }

}  // namespace dbg::coord::profiles
