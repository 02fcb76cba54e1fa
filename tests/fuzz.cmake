# SPDX-License-Identifier: BSD-2-Clause
# libFuzzer target for the virtqueue engine. The project builds with the default compiler
# (gcc); libFuzzer needs clang, so the target is one clang command over the few sources it
# needs. It is built only when a clang that links -fsanitize=fuzzer,address,undefined is
# found; otherwise the test says so and is skipped (exit 77).
# The test runs it for 20 seconds from a seed corpus written by the same source compiled
# as a seed writer; what it finds is kept in fuzz/virtqueue-corpus, crashes in fuzz/.
set(KHYVE_FUZZ_SOURCES
    ${CMAKE_SOURCE_DIR}/src/virtio/virtqueue.c ${CMAKE_SOURCE_DIR}/src/gmem.c
    ${CMAKE_SOURCE_DIR}/tests/unit/fakemem.c ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_virtqueue.c)
set(KHYVE_FUZZ_HEADERS
    ${CMAKE_SOURCE_DIR}/include/khyve/virtqueue.h ${CMAKE_SOURCE_DIR}/include/khyve/gmem.h
    ${CMAKE_SOURCE_DIR}/tests/unit/fakemem.h)

# Probed until it succeeds, so installing clang later needs no fresh build tree.
if(NOT KHYVE_FUZZ_CLANG_OK)
  find_program(KHYVE_FUZZ_CLANG NAMES clang clang-19 clang-16 clang-15 clang-14)
  set(ok OFF)
  if(KHYVE_FUZZ_CLANG)
    set(probe ${CMAKE_BINARY_DIR}/CMakeFiles/fuzz-probe)
    file(WRITE ${probe}.c "#include <stddef.h>\n#include <stdint.h>\n"
                          "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n")
    execute_process(COMMAND ${KHYVE_FUZZ_CLANG} -fsanitize=fuzzer,address,undefined ${probe}.c
                            -o ${probe} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc EQUAL 0)
      set(ok ON)
    endif()
  endif()
  set(KHYVE_FUZZ_CLANG_OK ${ok} CACHE INTERNAL "clang links -fsanitize=fuzzer,address,undefined")
  message(STATUS "libFuzzer target fuzz_virtqueue: ${ok}")
endif()

# The fuzzer carries its own sanitizers: one run, from the optimized build tree, is enough.
if(KHYVE_SANITIZE)
  return()
endif()

if(KHYVE_FUZZ_CLANG_OK)
  set(flags -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror
            -Wno-unused-parameter -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/tests/unit)
  add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/fuzz_virtqueue
    COMMAND ${KHYVE_FUZZ_CLANG} ${flags} -fsanitize=fuzzer,address,undefined
            -fno-sanitize-recover=undefined ${KHYVE_FUZZ_SOURCES} -o fuzz_virtqueue
    DEPENDS ${KHYVE_FUZZ_SOURCES} ${KHYVE_FUZZ_HEADERS}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
    COMMENT "Building libFuzzer target fuzz_virtqueue (clang)"
    VERBATIM)
  add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/fuzz_virtqueue_seeds
    COMMAND ${KHYVE_FUZZ_CLANG} ${flags} -DFUZZ_SEED_WRITER ${KHYVE_FUZZ_SOURCES}
            -o fuzz_virtqueue_seeds
    DEPENDS ${KHYVE_FUZZ_SOURCES} ${KHYVE_FUZZ_HEADERS}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
    COMMENT "Building the fuzz_virtqueue seed writer (clang)"
    VERBATIM)
  add_custom_target(fuzz_virtqueue_bin ALL DEPENDS ${CMAKE_BINARY_DIR}/fuzz_virtqueue
                                                   ${CMAKE_BINARY_DIR}/fuzz_virtqueue_seeds)
  add_test(NAME fuzz_virtqueue
           COMMAND sh -c "rm -rf fuzz/virtqueue-seeds && mkdir -p fuzz/virtqueue-seeds fuzz/virtqueue-corpus && ./fuzz_virtqueue_seeds fuzz/virtqueue-seeds && ./fuzz_virtqueue -max_total_time=20 -timeout=10 -print_final_stats=1 -artifact_prefix=fuzz/ fuzz/virtqueue-corpus fuzz/virtqueue-seeds"
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(fuzz_virtqueue PROPERTIES LABELS fuzz TIMEOUT 120 SKIP_RETURN_CODE 77)
else()
  add_test(NAME fuzz_virtqueue
           COMMAND sh -c "echo 'fuzz_virtqueue: no clang with -fsanitize=fuzzer,address,undefined (tools/deps installs one): skipped'; exit 77")
  set_tests_properties(fuzz_virtqueue PROPERTIES LABELS fuzz SKIP_RETURN_CODE 77)
endif()
