# SPDX-License-Identifier: BSD-2-Clause
# End-to-end scenarios (tests/e2e/scenarios/NAME/). One fixture test runs them all once,
# directly on /dev/kvm or in one boot of an emulated host (see tests/e2e/README.md), then
# one test per scenario judges its results. Label: e2e.
# The sanitizer build runs the unit tests only: its khyve is the same code, much slower.
if(NOT KHYVE_SANITIZE)
  set(E2E_DIR ${CMAKE_SOURCE_DIR}/tests/e2e)
  set(E2E_OUT ${CMAKE_BINARY_DIR}/e2e-results)

  # Does /dev/kvm run guests with hardware virtualization? (exit 0 when it does)
  add_executable(kvm-probe ${E2E_DIR}/kvm-probe.c)
  set(E2E_ENV "KHYVE_KVM_PROBE=$<TARGET_FILE:kvm-probe>")
  # A terminal for the console scenarios; static so it runs inside the emulated host too.
  add_executable(pty-run ${E2E_DIR}/pty-run.c)
  target_link_options(pty-run PRIVATE -static)
  target_link_libraries(pty-run PRIVATE util)
  list(APPEND E2E_ENV "KHYVE_PTY_RUN=$<TARGET_FILE:pty-run>")

  add_test(NAME e2e_run COMMAND ${E2E_DIR}/run-scenarios --run-only -k $<TARGET_FILE:khyve>
                                -o ${E2E_OUT})
  set_tests_properties(e2e_run PROPERTIES FIXTURES_SETUP e2e LABELS e2e TIMEOUT 3600
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${E2E_ENV}")
  file(GLOB E2E_SCENARIOS LIST_DIRECTORIES true CONFIGURE_DEPENDS ${E2E_DIR}/scenarios/*)
  foreach(dir ${E2E_SCENARIOS})
    if(IS_DIRECTORY ${dir})
      get_filename_component(name ${dir} NAME)
      add_test(NAME e2e_${name} COMMAND ${E2E_DIR}/check-scenario ${dir} ${E2E_OUT})
      set_tests_properties(e2e_${name} PROPERTIES FIXTURES_REQUIRED e2e LABELS e2e
                           SKIP_RETURN_CODE 77 TIMEOUT 60)
    endif()
  endforeach()
endif()
