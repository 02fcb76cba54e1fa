# SPDX-License-Identifier: BSD-2-Clause
# End-to-end scenarios: one fixture runs them all (directly on /dev/kvm, or in one boot
# of an emulated L1), then one test per scenario judges its results.
set(E2E_DIR ${CMAKE_SOURCE_DIR}/tests/e2e)
set(E2E_OUT ${CMAKE_BINARY_DIR}/e2e-results)
file(GLOB E2E_SCENARIOS LIST_DIRECTORIES true ${E2E_DIR}/scenarios/*)
if(NOT KHYVE_SANITIZE)
  # A terminal for the console scenarios; static so it runs inside the emulated host too.
  add_executable(pty-run ${E2E_DIR}/pty-run.c)
  target_link_options(pty-run PRIVATE -static)
  target_link_libraries(pty-run PRIVATE util)
  add_test(NAME e2e_run COMMAND ${E2E_DIR}/run-scenarios $<TARGET_FILE:khyve> ${E2E_OUT})
  set_tests_properties(e2e_run PROPERTIES FIXTURES_SETUP e2e LABELS e2e TIMEOUT 1500
                       SKIP_RETURN_CODE 77 ENVIRONMENT "KHYVE_CACHE=${CMAKE_BINARY_DIR}/cache;KHYVE_PTY_RUN=$<TARGET_FILE:pty-run>")
  foreach(dir ${E2E_SCENARIOS})
    get_filename_component(name ${dir} NAME)
    add_test(NAME e2e_${name} COMMAND ${E2E_DIR}/check-scenario ${dir} ${E2E_OUT})
    set_tests_properties(e2e_${name} PROPERTIES FIXTURES_REQUIRED e2e LABELS e2e
                         SKIP_RETURN_CODE 77)
  endforeach()
endif()
