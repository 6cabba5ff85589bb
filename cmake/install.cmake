# What `cmake --install` puts beside the two programs: man pages, the
# service definition of the platform (rc.d script on FreeBSD, systemd unit
# on Linux) with the real install paths in it, and the platform's sample
# configuration. The sources keep the /usr/local paths of a FreeBSD port;
# the copies installed name CMAKE_INSTALL_PREFIX's directories.
option(JAILD_INSTALL_SERVICE
  "Install the rc.d script (FreeBSD) or systemd unit (Linux); a port that installs it with USE_RC_SUBR turns this off"
  ON)
set(JAILD_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
  CACHE PATH "Where the systemd unit goes (Linux)")

install(FILES docs/man/jaild.8 docs/man/jailctl.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES docs/man/jaild.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

# A copy of FILE under the build tree with the FreeBSD port's paths replaced
# by the configured ones.
function(jaild_generate source output)
  file(READ ${PROJECT_SOURCE_DIR}/${source} text)
  # Each "FROM=>TO" of ARGN first, then the port's directories.
  foreach(pair IN LISTS ARGN)
    string(FIND "${pair}" "=>" at)
    string(SUBSTRING "${pair}" 0 ${at} from)
    math(EXPR at "${at} + 2")
    string(SUBSTRING "${pair}" ${at} -1 to)
    string(FIND "${text}" "${from}" found)
    if(found EQUAL -1)
      message(FATAL_ERROR "${source} no longer holds '${from}'; cmake/install.cmake needs updating")
    endif()
    string(REPLACE "${from}" "${to}" text "${text}")
  endforeach()
  string(REPLACE "/usr/local/sbin" "${CMAKE_INSTALL_FULL_SBINDIR}" text "${text}")
  string(REPLACE "/usr/local/etc" "${CMAKE_INSTALL_FULL_SYSCONFDIR}" text "${text}")
  file(WRITE ${PROJECT_BINARY_DIR}/${output} "${text}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${source})
endfunction()

if(JAILD_PLATFORM STREQUAL "freebsd")
  jaild_generate(rc.d/jaild rc.d/jaild)
  jaild_generate(etc/jaild.conf.sample etc/jaild.conf.sample
    "Copy to /usr/local/etc/jaild.conf (FreeBSD) or /etc/jaild.conf (Linux).=>Copy to /usr/local/etc/jaild.conf, which rc.d/jaild passes to jaild when it exists.")
  if(JAILD_INSTALL_SERVICE)
    install(PROGRAMS ${PROJECT_BINARY_DIR}/rc.d/jaild DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/rc.d)
  endif()
  install(FILES ${PROJECT_BINARY_DIR}/etc/jaild.conf.sample DESTINATION ${CMAKE_INSTALL_SYSCONFDIR})
else()
  jaild_generate(rc.d/jaild.service rc.d/jaild.service)
  # Linux keeps the socket in the state directory, where jailctl looks for it.
  jaild_generate(etc/jaild.conf.sample etc/jaild.conf.sample.linux
    "Copy to /usr/local/etc/jaild.conf (FreeBSD) or /etc/jaild.conf (Linux).=>Copy to /usr/local/etc/jaild.conf, which jaild reads when it exists."
    "the values below are the FreeBSD defaults, except\n# `socket`, which this file moves to /var/run.=>the values below are the Linux defaults."
    "state_dir = \"/var/db/jaild\"=>state_dir = \"/var/lib/jaild\""
    "JAILD_SOCKET=/var/run/jaild.sock=>JAILD_SOCKET=/var/lib/jaild/jaild.sock"
    "socket = \"/var/run/jaild.sock\"=>socket = \"/var/lib/jaild/jaild.sock\"")
  if(JAILD_INSTALL_SERVICE)
    install(FILES ${PROJECT_BINARY_DIR}/rc.d/jaild.service DESTINATION ${JAILD_SYSTEMD_UNIT_DIR})
  endif()
  install(FILES ${PROJECT_BINARY_DIR}/etc/jaild.conf.sample.linux
    DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples RENAME jaild.conf.sample)
endif()
install(FILES etc/monitoring/jaild-alerts.yml etc/monitoring/jaild-grafana-dashboard.json
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/monitoring)
