# dbg_embed_migrations(SQL_DIR OUTPUT_CPP [FUNCTION NAME]): generates OUTPUT_CPP defining
# dbg::coord::store::NAME() (default embedded_migrations: the SQLite schema) from
# SQL_DIR/NNNN_name.sql, each file a raw string literal. The fleet's PostgreSQL schema
# (migrations/fleet/) is embedded the same way under another name. Runs at configure time; adding a file re-globs (CONFIGURE_DEPENDS) and editing one
# re-configures (CMAKE_CONFIGURE_DEPENDS). The output is rewritten only when its content
# changes, so an unrelated re-configure recompiles nothing.
#
# Checked here rather than at run time, so a bad migration set never builds: names must be
# NNNN_name.sql, versions 1, 2, 3, ... with no gap or duplicate.
function(dbg_embed_migrations sql_dir output_cpp)
  cmake_parse_arguments(PARSE_ARGV 2 embed "" "FUNCTION" "")
  if(NOT embed_FUNCTION)
    set(embed_FUNCTION embedded_migrations)
  endif()
  file(GLOB sql_files CONFIGURE_DEPENDS "${sql_dir}/*.sql")
  list(SORT sql_files)
  set(delimiter "dbgsql")
  set(entries "")
  set(expected 1)
  foreach(sql_file IN LISTS sql_files)
    get_filename_component(file_name "${sql_file}" NAME)
    if(NOT file_name MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
      message(FATAL_ERROR "migration ${file_name}: name must be NNNN_name.sql (four digits, lower-case name)")
    endif()
    set(number "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    # "0001" -> 1 without relying on how math() reads leading zeros.
    string(REGEX REPLACE "^0+" "" version "${number}")
    if(NOT version STREQUAL "${expected}")
      message(FATAL_ERROR "migration ${file_name}: expected version ${expected} next (versions start at 1, no gaps or duplicates)")
    endif()
    math(EXPR expected "${expected} + 1")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${sql_file}")
    file(READ "${sql_file}" sql)
    string(FIND "${sql}" ")${delimiter}\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "migration ${file_name} contains the raw-string delimiter )${delimiter}\"")
    endif()
    string(APPEND entries "    {${version}, \"${name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
  endforeach()
  if(expected EQUAL 1)
    message(FATAL_ERROR "no migrations found in ${sql_dir}")
  endif()

  set(content "// Generated from migrations/*.sql by coordinator/embed_migrations.cmake. Do not edit.
#include \"coordinator/store/migrations.hpp\"

namespace dbg::coord::store {

namespace {
constexpr Migration kMigrations[] = {
${entries}};
}  // namespace

std::span<const Migration> ${embed_FUNCTION}() { return kMigrations; }

}  // namespace dbg::coord::store
")
  file(WRITE "${output_cpp}.tmp" "${content}")
  configure_file("${output_cpp}.tmp" "${output_cpp}" COPYONLY)
endfunction()
