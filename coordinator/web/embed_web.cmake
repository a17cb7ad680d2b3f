# dbg_embed_web(WEB_DIR OUTPUT_CPP): generates OUTPUT_CPP defining
# dbg::coord::web::embedded_files() from the dashboard's files under WEB_DIR, each a raw string
# literal keyed by its URL path ("/js/main.js"), so build/bin/dbgcoord serves the dashboard with
# no files around it. Like embed_migrations.cmake: runs at configure time, adding a file
# re-globs (CONFIGURE_DEPENDS), editing one re-configures (CMAKE_CONFIGURE_DEPENDS), and the
# output is rewritten only when its content changes.
#
# Only text types the server knows a Content-Type for are embedded (html, js, css, svg, json):
# a file of any other kind fails the configure rather than being served as a guess. README.md
# files document the directory and are skipped.
function(dbg_embed_web web_dir output_cpp)
  file(GLOB_RECURSE web_files CONFIGURE_DEPENDS RELATIVE "${web_dir}" "${web_dir}/*")
  list(SORT web_files)
  set(delimiter "dbgweb")
  set(entries "")
  set(count 0)
  foreach(rel IN LISTS web_files)
    get_filename_component(file_name "${rel}" NAME)
    if(file_name STREQUAL "README.md")
      continue()
    endif()
    if(NOT rel MATCHES "^[A-Za-z0-9_./-]+\\.(html|js|css|svg|json)$")
      message(FATAL_ERROR "web/${rel}: only .html, .js, .css, .svg and .json files with plain names are served")
    endif()
    set(path "${web_dir}/${rel}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${path}")
    file(READ "${path}" content)
    string(FIND "${content}" ")${delimiter}\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "web/${rel} contains the raw-string delimiter )${delimiter}\"")
    endif()
    string(APPEND entries "    {\"/${rel}\", R\"${delimiter}(${content})${delimiter}\"},\n")
    math(EXPR count "${count} + 1")
  endforeach()
  if(count EQUAL 0)
    message(FATAL_ERROR "no dashboard files found in ${web_dir}")
  endif()

  set(content "// Generated from web/ by coordinator/web/embed_web.cmake. Do not edit.
#include \"coordinator/web/static_files.hpp\"

namespace dbg::coord::web {

namespace {
constexpr EmbeddedFile kFiles[] = {
${entries}};
}  // namespace

std::span<const EmbeddedFile> embedded_files() { return kFiles; }

}  // namespace dbg::coord::web
")
  file(WRITE "${output_cpp}.tmp" "${content}")
  configure_file("${output_cpp}.tmp" "${output_cpp}" COPYONLY)
endfunction()
