# SPDX-License-Identifier: BSD-2-Clause
# Golden command lines through the real binary: one test per directory of tests/cli.
foreach(kind pass fail help)
  add_test(NAME cli_golden_${kind}
           COMMAND ${CMAKE_SOURCE_DIR}/tests/cli/run-golden $<TARGET_FILE:khyve> ${kind})
  set_tests_properties(cli_golden_${kind} PROPERTIES LABELS cli TIMEOUT 60)
endforeach()
# The manual pages render without warnings.
add_test(NAME man_lint COMMAND sh -c "command -v mandoc >/dev/null || exit 77; mandoc -Tlint -Wwarning ${CMAKE_SOURCE_DIR}/docs/khyve.8 ${CMAKE_SOURCE_DIR}/docs/khyve.conf.5")
set_tests_properties(man_lint PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
# `cmake --install` puts khyve, the bhyve link and the manual pages in place; as bhyve it
# says so (the usage goes to standard error, as bhyve's does).
add_test(NAME install_bhyve_link COMMAND sh -c "rm -rf install-test && ${CMAKE_COMMAND} --install . --prefix install-test >/dev/null && test -f install-test/share/man/man8/khyve.8 && test -f install-test/share/man/man5/khyve.conf.5 && install-test/sbin/bhyve -h 2>&1 | grep -q 'Usage: bhyve'"
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(install_bhyve_link PROPERTIES LABELS cli)
# khyve's code that runs comes first in the binary (src/link-order.txt, tools/link-order).
add_test(NAME link_order COMMAND ${CMAKE_SOURCE_DIR}/tests/build/check-link-order
                                 $<TARGET_FILE:khyve> ${CMAKE_SOURCE_DIR}/src/link-order.txt)
set_tests_properties(link_order PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
