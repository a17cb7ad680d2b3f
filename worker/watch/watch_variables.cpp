#include "worker/watch/watch_variables.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "dbg/snapshot.hpp"
#include "worker/watch/watch_memory.hpp"

namespace dbg::worker {

namespace {

constexpr unsigned kRegSp = 7;
constexpr size_t kMaxValueBytes = 64;
constexpr size_t kMaxAggregateBytesShown = 32;
constexpr size_t kMaxStringPreview = 64;
const char* const kRegNames[17] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
                                   "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip"};

// The C and C++ runtimes: their frames are the abort machinery, not where the bug is.
bool is_runtime_module(const char* path) {
  if (!path) return true;
  const char* base = std::strrchr(path, '/');
  base = base ? base + 1 : path;
  for (const char* prefix : {"libc.so", "libc-", "libstdc++", "libgcc_s", "ld-linux", "libm.so", "libpthread", "[vdso]"}) {
    if (std::strncmp(base, prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
}

std::optional<uint64_t> reg(const RawFrame& f, unsigned regno) {
  if (regno < f.regs.size() && ((f.regs_known >> regno) & 1u)) return f.regs[regno];
  return std::nullopt;
}

// The address a DW_OP_bregN / DW_OP_bregx operation names, when its register is known.
std::optional<uint64_t> breg_address(const Dwarf_Op& op, const RawFrame& f) {
  if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) {
    if (auto r = reg(f, op.atom - DW_OP_breg0)) return *r + static_cast<uint64_t>(static_cast<int64_t>(op.number));
  } else if (op.atom == DW_OP_bregx) {
    if (auto r = reg(f, static_cast<unsigned>(op.number))) return *r + static_cast<uint64_t>(static_cast<int64_t>(op.number2));
  }
  return std::nullopt;
}

uint64_t lookup_pc(const RawFrame& f) { return f.activation || f.pc == 0 ? f.pc : f.pc - 1; }

// The frame's CFA from its CFI row (rule "reg + offset", as GCC and clang emit on x86-64).
std::optional<uint64_t> cfa_from_cfi(Dwfl_Module* mod, const RawFrame& f) {
  for (auto get : {dwfl_module_eh_cfi, dwfl_module_dwarf_cfi}) {
    Dwarf_Addr bias = 0;
    Dwarf_CFI* cfi = get(mod, &bias);
    if (!cfi) continue;
    Dwarf_Frame* row = nullptr;
    if (dwarf_cfi_addrframe(cfi, lookup_pc(f) - bias, &row) != 0) continue;
    Dwarf_Op* ops = nullptr;
    size_t nops = 0;
    std::optional<uint64_t> cfa;
    // libdw hands a "register + offset" rule back as one DW_OP_bregx (number: register,
    // number2: offset); a rule given as an expression would come as DW_OP_bregN.
    if (dwarf_frame_cfa(row, &ops, &nops) == 0 && nops == 1) {
      if (auto base = breg_address(ops[0], f)) cfa = base;
    }
    std::free(row);
    if (cfa) return cfa;
  }
  return std::nullopt;
}

// Frames with their stack pointers filled in: on x86-64 a caller's sp is its callee's CFA,
// which libdw does not always hand back as a register of the outer frame.
std::vector<RawFrame> frames_with_stack_pointers(Dwfl* dwfl, std::vector<RawFrame> frames, size_t upto,
                                                 std::vector<std::optional<uint64_t>>& cfas) {
  cfas.assign(frames.size(), std::nullopt);
  for (size_t i = 0; i <= upto && i < frames.size(); ++i) {
    if (Dwfl_Module* mod = dwfl_addrmodule(dwfl, lookup_pc(frames[i]))) cfas[i] = cfa_from_cfi(mod, frames[i]);
    if (cfas[i] && i + 1 < frames.size() && !reg(frames[i + 1], kRegSp)) {
      frames[i + 1].regs[kRegSp] = *cfas[i];
      frames[i + 1].regs_known |= 1u << kRegSp;
    }
  }
  return frames;
}

Dwarf_Die* type_of(Dwarf_Die* die, Dwarf_Die* out) {
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(die, DW_AT_type, &attr)) return nullptr;
  return dwarf_formref_die(&attr, out);
}

std::string die_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, DW_AT_name, &attr)) {
    if (const char* s = dwarf_formstring(&attr)) return s;
  }
  return {};
}

std::string type_name(Dwarf_Die* type, int depth = 0) {
  if (!type) return "void";
  if (depth > 8) return "…";
  Dwarf_Die inner_mem;
  Dwarf_Die* inner = type_of(type, &inner_mem);
  switch (dwarf_tag(type)) {
    case DW_TAG_pointer_type: return type_name(inner, depth + 1) + "*";
    case DW_TAG_reference_type: return type_name(inner, depth + 1) + "&";
    case DW_TAG_rvalue_reference_type: return type_name(inner, depth + 1) + "&&";
    case DW_TAG_const_type: return "const " + type_name(inner, depth + 1);
    case DW_TAG_volatile_type: return "volatile " + type_name(inner, depth + 1);
    case DW_TAG_array_type: return type_name(inner, depth + 1) + "[]";
    case DW_TAG_subroutine_type: return "function";
    default: {
      std::string name = die_name(type);
      return name.empty() ? "<anonymous>" : name;
    }
  }
}

// typedefs and qualifiers removed.
Dwarf_Die* strip(Dwarf_Die* type, Dwarf_Die* mem) {
  for (int i = 0; type && i < 16; ++i) {
    int tag = dwarf_tag(type);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
        tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
      return type;
    type = type_of(type, mem);
  }
  return type;
}

uint64_t attr_udata(Dwarf_Die* die, int name, uint64_t fallback) {
  Dwarf_Attribute attr;
  Dwarf_Word v = 0;
  if (dwarf_attr_integrate(die, name, &attr) && dwarf_formudata(&attr, &v) == 0) return v;
  return fallback;
}

struct Location {
  enum Kind { kMemory, kRegister, kValue, kUnavailable, kUnsupported } kind = kUnavailable;
  uint64_t value = 0;  // address (kMemory), contents (kRegister, kValue)
  unsigned regno = 0;
  std::string note;
};

const char* op_name(unsigned atom) {
  switch (atom) {
    case DW_OP_entry_value: case DW_OP_GNU_entry_value: return "DW_OP_entry_value";
    case DW_OP_piece: return "DW_OP_piece";
    case DW_OP_bit_piece: return "DW_OP_bit_piece";
    case DW_OP_implicit_value: return "DW_OP_implicit_value";
    case DW_OP_implicit_pointer: case DW_OP_GNU_implicit_pointer: return "DW_OP_implicit_pointer";
    case DW_OP_call_frame_cfa: return "DW_OP_call_frame_cfa";
    default: return nullptr;
  }
}

Location unsupported(const Dwarf_Op& op) {
  Location l;
  l.kind = Location::kUnsupported;
  const char* name = op_name(op.atom);
  char buf[32];
  if (!name) {
    std::snprintf(buf, sizeof buf, "DW_OP 0x%x", op.atom);
    name = buf;
  }
  l.note = name;
  return l;
}

struct FrameState {
  const RawFrame& frame;
  std::optional<uint64_t> cfa;
  Dwarf_Die* subprogram;
  uint64_t rel_pc;  // pc relative to the module (what DWARF ranges use)
  uint64_t bias;
};

std::optional<uint64_t> frame_base(const FrameState& s) {
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(s.subprogram, DW_AT_frame_base, &attr)) return std::nullopt;
  Dwarf_Op* ops = nullptr;
  size_t n = 0;
  if (dwarf_getlocation_addr(&attr, s.rel_pc, &ops, &n, 1) != 1 || n != 1) return std::nullopt;
  if (ops[0].atom == DW_OP_call_frame_cfa) return s.cfa;
  if (auto base = breg_address(ops[0], s.frame)) return base;
  if (ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31) return reg(s.frame, ops[0].atom - DW_OP_reg0);
  return std::nullopt;
}

Location evaluate(const Dwarf_Op* ops, size_t n, const FrameState& s) {
  Location l;
  if (n == 0) {
    l.note = "optimized out";
    return l;
  }
  const Dwarf_Op& op = ops[0];
  auto unavailable = [](std::string why) {
    Location u;
    u.note = std::move(why);
    return u;
  };
  if (n == 1 && ((op.atom >= DW_OP_reg0 && op.atom <= DW_OP_reg31) || op.atom == DW_OP_regx)) {
    unsigned regno = op.atom == DW_OP_regx ? static_cast<unsigned>(op.number) : op.atom - DW_OP_reg0;
    auto r = reg(s.frame, regno);
    if (!r) return unavailable("register not recovered in this frame");
    l.kind = Location::kRegister;
    l.value = *r;
    l.regno = regno;
    return l;
  }
  if (n == 1 && op.atom == DW_OP_fbreg) {
    auto fb = frame_base(s);
    if (!fb) return unavailable("frame base not available");
    l.kind = Location::kMemory;
    l.value = *fb + static_cast<uint64_t>(static_cast<int64_t>(op.number));
    return l;
  }
  if (n == 1 && ((op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) || op.atom == DW_OP_bregx)) {
    auto address = breg_address(op, s.frame);
    if (!address) return unavailable("register not recovered in this frame");
    l.kind = Location::kMemory;
    l.value = *address;
    return l;
  }
  if (n == 1 && op.atom == DW_OP_addr) {
    l.kind = Location::kMemory;
    l.value = op.number + s.bias;
    return l;
  }
  if (n == 2 && ops[1].atom == DW_OP_stack_value) {
    if (op.atom >= DW_OP_lit0 && op.atom <= DW_OP_lit31) {
      l.kind = Location::kValue;
      l.value = op.atom - DW_OP_lit0;
      return l;
    }
    if (op.atom == DW_OP_const1u || op.atom == DW_OP_const2u || op.atom == DW_OP_const4u ||
        op.atom == DW_OP_const8u || op.atom == DW_OP_constu || op.atom == DW_OP_const1s ||
        op.atom == DW_OP_const2s || op.atom == DW_OP_const4s || op.atom == DW_OP_const8s || op.atom == DW_OP_consts) {
      l.kind = Location::kValue;
      l.value = op.number;
      return l;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (op_name(ops[i].atom)) return unsupported(ops[i]);
  }
  return unsupported(op);
}

std::string cut(std::string s) {
  if (s.size() > kMaxVariableValueChars) {
    s.resize(kMaxVariableValueChars);
    s += "…";
  }
  return s;
}

std::string quoted_preview(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The value as text, from bytes already read (little-endian, x86-64).
std::string format_value(pid_t pid, Dwarf_Die* declared_type, const uint8_t* bytes, size_t have) {
  Dwarf_Die mem;
  Dwarf_Die* type = strip(declared_type, &mem);
  uint64_t word = 0;
  std::memcpy(&word, bytes, std::min<size_t>(have, 8));
  if (!type) return hex(word);
  int tag = dwarf_tag(type);
  uint64_t size = attr_udata(type, DW_AT_byte_size, 8);
  if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type || tag == DW_TAG_rvalue_reference_type) {
    if (have < 8) return "<unreadable>";
    std::string out = hex(word);
    Dwarf_Die pointee_mem, stripped_mem;
    Dwarf_Die* pointee = strip(type_of(type, &pointee_mem), &stripped_mem);
    if (pointee && dwarf_tag(pointee) == DW_TAG_base_type && attr_udata(pointee, DW_AT_byte_size, 0) == 1) {
      auto enc = attr_udata(pointee, DW_AT_encoding, 0);
      if (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char) {
        if (auto text = read_remote_string(pid, word, kMaxStringPreview)) out += " " + quoted_preview(*text);
      }
    }
    return out;
  }
  if (tag == DW_TAG_base_type || tag == DW_TAG_enumeration_type) {
    if (size == 0 || size > 8 || have < size) return "<unreadable>";
    uint64_t enc = tag == DW_TAG_enumeration_type ? uint64_t{DW_ATE_signed} : attr_udata(type, DW_AT_encoding, DW_ATE_unsigned);
    uint64_t v = size == 8 ? word : word & ((1ULL << (size * 8)) - 1);
    switch (enc) {
      case DW_ATE_boolean: return v ? "true" : "false";
      case DW_ATE_float: {
        char buf[64];
        if (size == 4) {
          float f;
          std::memcpy(&f, bytes, 4);
          std::snprintf(buf, sizeof buf, "%g", static_cast<double>(f));
        } else if (size == 8) {
          double d;
          std::memcpy(&d, bytes, 8);
          std::snprintf(buf, sizeof buf, "%g", d);
        } else {
          return hex(v);
        }
        return buf;
      }
      case DW_ATE_signed:
      case DW_ATE_signed_char: {
        int64_t sv = size == 8 ? static_cast<int64_t>(v)
                               : static_cast<int64_t>(v << (64 - size * 8)) >> (64 - size * 8);
        return std::to_string(sv);
      }
      default: return std::to_string(v);
    }
  }
  // Aggregates: their first bytes, so that a struct is recognisable without a type printer.
  std::string out = "{" + std::to_string(size) + " bytes:";
  size_t shown = std::min<size_t>({have, kMaxAggregateBytesShown, static_cast<size_t>(size)});
  for (size_t i = 0; i < shown; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, " %02x", bytes[i]);
    out += buf;
  }
  if (shown < size) out += " …";
  return out + "}";
}

nlohmann::json describe_variable(pid_t pid, Dwarf_Die* var, bool parameter, const FrameState& s) {
  nlohmann::json item = {{"name", die_name(var)}, {"kind", parameter ? "parameter" : "local"}};
  Dwarf_Die type_mem;
  Dwarf_Die* type = type_of(var, &type_mem);
  item["type"] = type_name(type);
  item["value"] = nullptr;
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(var, DW_AT_location, &attr)) {
    item["unavailable"] = "optimized out";
    return item;
  }
  Dwarf_Op* ops = nullptr;
  size_t n = 0;
  int found = dwarf_getlocation_addr(&attr, s.rel_pc, &ops, &n, 1);
  if (found != 1) {
    item["unavailable"] = "not available at this pc";
    return item;
  }
  Location loc = evaluate(ops, n, s);
  uint8_t bytes[kMaxValueBytes] = {};
  size_t have = 0;
  switch (loc.kind) {
    case Location::kUnsupported: item["unsupported"] = loc.note; return item;
    case Location::kUnavailable: item["unavailable"] = loc.note; return item;
    case Location::kMemory: {
      Dwarf_Die stripped_mem;
      Dwarf_Die* stripped = strip(type, &stripped_mem);
      uint64_t size = 8;
      if (stripped) {
        Dwarf_Word agg = 0;
        if (dwarf_aggregate_size(stripped, &agg) == 0) size = agg;
      }
      have = read_remote(pid, loc.value, bytes, std::min<uint64_t>(size, kMaxValueBytes));
      item["address"] = hex(loc.value);
      if (have == 0) {
        item["unavailable"] = "memory unreadable";
        return item;
      }
      break;
    }
    case Location::kRegister:
      item["register"] = kRegNames[loc.regno < 17 ? loc.regno : 0];
      [[fallthrough]];
    case Location::kValue:
      std::memcpy(bytes, &loc.value, 8);
      have = 8;
      break;
  }
  item["value"] = cut(format_value(pid, type, bytes, have));
  return item;
}

bool is_function_scope(int tag) { return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine; }

}  // namespace

nlohmann::json key_variables(Dwfl* dwfl, pid_t pid, const std::vector<RawFrame>& raw_frames, int max_variables) {
  for (size_t index = 0; index < raw_frames.size(); ++index) {
    uint64_t pc = lookup_pc(raw_frames[index]);
    Dwfl_Module* mod = dwfl_addrmodule(dwfl, pc);
    if (!mod) continue;
    const char* path = nullptr;
    dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, &path, nullptr);
    if (is_runtime_module(path)) continue;
    Dwarf_Addr bias = 0;
    Dwarf_Die* cu = dwfl_module_addrdie(mod, pc, &bias);
    if (!cu) continue;
    Dwarf_Die* scopes = nullptr;
    int nscopes = dwarf_getscopes(cu, pc - bias, &scopes);
    int function_scope = -1, subprogram = -1;
    for (int i = 0; i < nscopes; ++i) {
      int tag = dwarf_tag(&scopes[i]);
      if (function_scope < 0 && is_function_scope(tag)) function_scope = i;
      if (tag == DW_TAG_subprogram) {
        subprogram = i;
        break;
      }
    }
    if (subprogram < 0) {
      std::free(scopes);
      continue;
    }
    std::vector<std::optional<uint64_t>> cfas;
    auto frames = frames_with_stack_pointers(dwfl, raw_frames, index, cfas);
    FrameState state{frames[index], cfas[index], &scopes[subprogram], pc - bias, bias};
    nlohmann::json out = {{"frame", index}, {"function", die_name(&scopes[function_scope])}, {"items", nlohmann::json::array()}};
    auto& items = out["items"];
    // Parameters of the function first, then locals from the innermost block outward.
    for (bool parameters : {true, false}) {
      for (int i = 0; i <= function_scope; ++i) {
        Dwarf_Die child;
        if (dwarf_child(&scopes[i], &child) != 0) continue;
        do {
          int tag = dwarf_tag(&child);
          bool wanted = parameters ? tag == DW_TAG_formal_parameter : tag == DW_TAG_variable;
          if (!wanted || dwarf_hasattr(&child, DW_AT_declaration)) continue;
          if (static_cast<int>(items.size()) >= max_variables) {
            out["truncated"] = true;
            break;
          }
          items.push_back(describe_variable(pid, &child, parameters, state));
        } while (dwarf_siblingof(&child, &child) == 0);
      }
    }
    std::free(scopes);
    return out;
  }
  return nullptr;
}

}  // namespace dbg::worker
