# Install rules and the Debian package (issue #22): scripts/package.sh builds what they need and
# runs cpack, which writes build/dbgcoord_<version>_amd64.deb. Everything else (migrations, web
# files, the model) is embedded in the binaries.
# `make install` / cpack must not build every test first: only the installed targets are built
# (by scripts/package.sh).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS dbgcoord dbg-worker RUNTIME DESTINATION bin)
# The man page, compressed as Debian wants it.
set(DBG_MAN_GZ ${CMAKE_BINARY_DIR}/man/dbgcoord.1.gz)
add_custom_command(OUTPUT ${DBG_MAN_GZ}
  COMMAND sh -c "gzip -9n < \"$1\" > \"$2\"" sh ${CMAKE_BINARY_DIR}/man/man1/dbgcoord.1 ${DBG_MAN_GZ}
  DEPENDS ${CMAKE_BINARY_DIR}/man/man1/dbgcoord.1 dbgcoord_man VERBATIM)
add_custom_target(dbgcoord_man_gz ALL DEPENDS ${DBG_MAN_GZ})
install(FILES ${DBG_MAN_GZ} DESTINATION share/man/man1)
# dbg-worker's short page (an internal helper: the page says so), the version filled in.
configure_file(${PROJECT_SOURCE_DIR}/packaging/dbg-worker.1.in ${CMAKE_BINARY_DIR}/man/man1/dbg-worker.1 @ONLY)
set(DBG_WORKER_MAN_GZ ${CMAKE_BINARY_DIR}/man/dbg-worker.1.gz)
add_custom_command(OUTPUT ${DBG_WORKER_MAN_GZ}
  COMMAND sh -c "gzip -9n < \"$1\" > \"$2\"" sh ${CMAKE_BINARY_DIR}/man/man1/dbg-worker.1 ${DBG_WORKER_MAN_GZ}
  DEPENDS ${CMAKE_BINARY_DIR}/man/man1/dbg-worker.1 VERBATIM)
add_custom_target(dbg_worker_man_gz ALL DEPENDS ${DBG_WORKER_MAN_GZ})
install(FILES ${DBG_WORKER_MAN_GZ} DESTINATION share/man/man1)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dbgcoord.conf DESTINATION /etc/dbgcoord)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dbgcoord.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/api.md ${PROJECT_SOURCE_DIR}/docs/crash-capture.md
        DESTINATION share/doc/dbgcoord)

# What lintian requires of every package: a machine-readable copyright file and, for a native
# package, changelog.gz (the version filled in from the project's, compressed like the man page).
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
set(DBG_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${DBG_CHANGELOG_GZ}
  COMMAND sh -c "gzip -9n < \"$1\" > \"$2\"" sh ${CMAKE_BINARY_DIR}/packaging/changelog ${DBG_CHANGELOG_GZ}
  DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog VERBATIM)
add_custom_target(dbgcoord_changelog_gz ALL DEPENDS ${DBG_CHANGELOG_GZ})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${DBG_CHANGELOG_GZ} DESTINATION share/doc/dbgcoord)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dbgcoord)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# No team address exists yet: a reserved example domain, which lintian accepts (localhost it does not).
set(CPACK_PACKAGE_CONTACT "dbgcoord maintainers <maintainers@dbgcoord.example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multi-process debug coordinator for Linux")
# Debian's extended description (cpack puts the summary above it as the synopsis).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "dbgcoord is a per-host server that takes stacks of every thread of many
processes with short pauses, profiles them under an overhead budget, captures
every crash of the host through core_pattern and groups errors by signature,
served over a token-protected REST and WebSocket API with a live dashboard.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # dbgcoord_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Depends from the binaries' shared libraries (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# /etc/dbgcoord/dbgcoord.conf is a conffile: an upgrade keeps the operator's edits.
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "/etc/dbgcoord/dbgcoord.conf\n")
# The maintainer scripts (packaging/maintainer/): enable the unit on first install without
# starting it, stop it on removal, remove the state directory on purge; each one a no-op for
# systemd where systemd does not run (containers, chroots, dpkg --root).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/maintainer/postinst ${PROJECT_SOURCE_DIR}/packaging/maintainer/prerm
    ${PROJECT_SOURCE_DIR}/packaging/maintainer/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
