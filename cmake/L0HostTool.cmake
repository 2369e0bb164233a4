# Configure-time host tools.
#
# verilate() runs Verilator when CMake configures (to learn which C++ files it will generate), so
# every Verilog file it reads must exist then, including the ones l0sim generates (the model's
# RTL parameters, test tops). l0_host_tool compiles a small C program at configure time with the
# project's own sources, so that CMake can run it right away with execute_process.
#
# l0_host_tool(<output-var> NAME <name> SOURCES <c files...> [LIBS <-l flags...>])
function(l0_host_tool out)
  cmake_parse_arguments(H "" "NAME" "SOURCES;LIBS" ${ARGN})
  set(exe ${CMAKE_BINARY_DIR}/host-tools/${H_NAME})
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/host-tools)
  set(incs)
  foreach(d common model stimuli sim tests/rtl)
    list(APPEND incs -I${PROJECT_SOURCE_DIR}/${d})
  endforeach()
  execute_process(
    COMMAND ${CMAKE_C_COMPILER} -std=c11 -O1 -D_POSIX_C_SOURCE=200809L ${incs} ${H_SOURCES}
            -o ${exe} ${H_LIBS} -lm
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "building the host tool ${H_NAME} failed:\n${err}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${H_SOURCES})
  set(${out} ${exe} PARENT_SCOPE)
endfunction()
