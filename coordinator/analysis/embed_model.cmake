# dbg_embed_model(MODEL_JSON OUTPUT_CPP): generates OUTPUT_CPP defining
# dbg::coord::analysis::embedded_model() with the model file's text as a raw string literal, the
# way embed_migrations.cmake embeds the .sql files, so build/bin/dbgcoord classifies with no file
# around. Editing the model re-configures (CMAKE_CONFIGURE_DEPENDS); the output is rewritten
# only when its content changes.
function(dbg_embed_model model_json output_cpp)
  set(delimiter "dbgmodel")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${model_json}")
  file(READ "${model_json}" text)
  string(FIND "${text}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${model_json} contains the raw-string delimiter )${delimiter}\"")
  endif()
  # String literals have a length limit in some compilers (and a warning in GCC's pedantic
  # mode); pieces of 8 KB concatenated by the compiler stay clear of both.
  string(LENGTH "${text}" length)
  set(pieces "")
  set(offset 0)
  while(offset LESS length)
    string(SUBSTRING "${text}" ${offset} 8000 piece)
    string(APPEND pieces "    R\"${delimiter}(${piece})${delimiter}\"\n")
    math(EXPR offset "${offset} + 8000")
  endwhile()
  set(content "// Generated from ${model_json} by coordinator/analysis/embed_model.cmake. Do not edit.
#include \"coordinator/analysis/model.hpp\"

namespace dbg::coord::analysis {

namespace {
constexpr char kModel[] =
${pieces};
}  // namespace

std::string_view embedded_model() { return {kModel, sizeof(kModel) - 1}; }

}  // namespace dbg::coord::analysis
")
  file(WRITE "${output_cpp}.tmp" "${content}")
  configure_file("${output_cpp}.tmp" "${output_cpp}" COPYONLY)
endfunction()
