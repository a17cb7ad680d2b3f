#pragma once
// Key variables of the crashing frame: the parameters and locals DWARF locates at the frame's
// pc, with bounded values, read while the target is still stopped.
//
// The frame: the innermost one whose module has DWARF with a function at its pc, skipping the
// C and C++ runtimes (libc, libstdc++, libgcc_s, ld.so): for an assert or abort the interesting
// frame is the caller of the abort machinery, not raise().
//
// Supported location expressions (what GCC emits for -O0 and most -O2 variables):
// DW_OP_fbreg with a frame base of DW_OP_call_frame_cfa or DW_OP_bregN; DW_OP_bregN; DW_OP_regN
// and DW_OP_regx; DW_OP_addr; DW_OP_litN/constN followed by DW_OP_stack_value; location lists
// (the entry covering the pc). Anything else (DW_OP_entry_value, DW_OP_piece, computed
// expressions) is reported as {"value": null, "unsupported": "<op>"} rather than guessed.
// Registers of outer frames are those libdw's CFI unwinder recovered (callee-saved ones and
// the stack pointer); a location in a register it could not recover is reported unavailable.
#include <sys/types.h>

#include <vector>

#include <elfutils/libdwfl.h>
#include <nlohmann/json.hpp>

#include "worker/unwind/process_unwinder.hpp"

namespace dbg::worker {

inline constexpr size_t kMaxVariableValueChars = 160;

// {"frame": index, "function": name, "items": [{"name", "kind": "parameter"|"local", "type",
// "value"|null, "location"?, "unsupported"?}]} or null when no frame qualifies.
nlohmann::json key_variables(Dwfl* dwfl, pid_t pid, const std::vector<RawFrame>& frames, int max_variables);

}  // namespace dbg::worker
