# l0_engine_library(<target> MODEL <model.json> [LANES n] [REG_EVERY r] [TAG_BITS t] [ARCH mult|cmvm]
#                   [TRACE])
#
# A static library holding rtl/l0_engine.v verilated for one model, with the C API of
# sim/l0_rtl_engine.h. At configure time the model's Verilog parameters are generated with the
# same code as `l0sim export-rtl` (verilate() needs every Verilog file then); a change to the
# model file re-runs the configuration.
find_package(verilator REQUIRED HINTS $ENV{VERILATOR_ROOT})
find_package(ZLIB REQUIRED)

set(L0_RTL_SOURCES
    ${PROJECT_SOURCE_DIR}/rtl/l0_engine.v ${PROJECT_SOURCE_DIR}/rtl/l0_ksum.v
    ${PROJECT_SOURCE_DIR}/rtl/l0_dense.v ${PROJECT_SOURCE_DIR}/rtl/l0_adder_tree.v
    ${PROJECT_SOURCE_DIR}/rtl/l0_recast.v ${PROJECT_SOURCE_DIR}/rtl/l0_pipe.v)

function(l0_engine_library target)
  cmake_parse_arguments(E "TRACE" "MODEL;LANES;REG_EVERY;TAG_BITS;ARCH" "" ${ARGN})
  if(NOT E_LANES)
    set(E_LANES 2)
  endif()
  if(NOT DEFINED E_REG_EVERY)
    set(E_REG_EVERY 2)
  endif()
  if(NOT E_TAG_BITS)
    set(E_TAG_BITS 16)
  endif()
  if(NOT E_ARCH)
    set(E_ARCH mult)
  endif()
  # Built once per configure run (a global property, not the cache: a change to the model code
  # must reach the exporter at the next configure).
  unset(L0_EXPORT_HOST CACHE)
  get_property(L0_EXPORT_HOST GLOBAL PROPERTY L0_EXPORT_HOST)
  if(NOT L0_EXPORT_HOST)
    set(src ${PROJECT_SOURCE_DIR})
    l0_host_tool(exe NAME l0_export_host
      SOURCES ${src}/tools/l0_export_host.c ${src}/model/l0_fx.c ${src}/model/l0_model.c
              ${src}/model/l0_rtl.c ${src}/model/l0_cmvm.c ${src}/model/l0_csd.c ${src}/common/l0_err.c ${src}/common/l0_ofile.c
              ${src}/common/l0_rng.c ${src}/common/l0_cli.c
      LIBS -lcjson)
    set_property(GLOBAL PROPERTY L0_EXPORT_HOST ${exe})
    set(L0_EXPORT_HOST ${exe})
  endif()
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${target}-gen)
  execute_process(COMMAND ${L0_EXPORT_HOST} ${E_MODEL} ${gen} ${E_LANES} ${E_REG_EVERY}
                          ${E_TAG_BITS} ${E_ARCH}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "exporting ${E_MODEL} for ${target} failed:\n${err}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${E_MODEL})

  add_library(${target} STATIC ${PROJECT_SOURCE_DIR}/sim/l0_rtl_engine.cpp)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/sim
                             PRIVATE ${gen})
  target_link_libraries(${target} PUBLIC l0_common l0_model ZLIB::ZLIB)
  # Verilator's own headers trip -Wextra (unused parameters); our code here is clean.
  target_compile_options(${target} PRIVATE -Wno-unused-parameter)
  # Waves cost compile time (the dump code is most of the C++): only engines that need them
  # (l0sim's own) ask for TRACE.
  set(trace)
  if(E_TRACE)
    set(trace TRACE_FST)
  endif()
  verilate(${target}
    SOURCES ${L0_RTL_SOURCES} ${gen}/l0_phi_net.v ${gen}/l0_rho_net.v
    INCLUDE_DIRS ${gen}
    TOP_MODULE l0_engine PREFIX Vl0_engine
    ${trace}
    # -y: the cmvm engine's layer modules (l0_layer_*.v) are found by name in the generated dir
    VERILATOR_ARGS -Wall -O3 --x-assign fast --x-initial fast -y ${gen})
endfunction()
