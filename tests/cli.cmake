# SPDX-License-Identifier: BSD-2-Clause
# Golden command lines through the real binary.
add_test(NAME cli_golden COMMAND ${CMAKE_SOURCE_DIR}/tests/cli/run-golden $<TARGET_FILE:khyve>)
set_tests_properties(cli_golden PROPERTIES LABELS cli TIMEOUT 60)
