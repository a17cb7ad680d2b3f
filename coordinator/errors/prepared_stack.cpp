#include "coordinator/errors/prepared_stack.hpp"

#include "coordinator/errors/json_writer.hpp"
#include "coordinator/errors/signature.hpp"

namespace dbg::coord::errors {

std::shared_ptr<const PreparedStack> prepare_stack(std::vector<Frame> frames) {
  if (frames.size() > kMaxStoredFrames) frames.resize(kMaxStoredFrames);
  auto stack = std::make_shared<PreparedStack>();
  stack->signature_frames = signature_frames(frames);
  stack->frames_json = frames_json(frames);
  stack->signature_frames_json = string_array_json(stack->signature_frames);
  return stack;
}

}  // namespace dbg::coord::errors
