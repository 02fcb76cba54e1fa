# SPDX-License-Identifier: BSD-2-Clause
# Golden command lines through the real binary.
add_test(NAME cli_golden COMMAND ${CMAKE_SOURCE_DIR}/tests/cli/run-golden $<TARGET_FILE:khyve>)
set_tests_properties(cli_golden PROPERTIES LABELS cli TIMEOUT 60)
# The manual pages render without warnings.
add_test(NAME man_lint COMMAND sh -c "command -v mandoc >/dev/null || exit 77; mandoc -Tlint -Wwarning ${CMAKE_SOURCE_DIR}/docs/khyve.8 ${CMAKE_SOURCE_DIR}/docs/khyve.conf.5")
set_tests_properties(man_lint PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
