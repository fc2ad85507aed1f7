# Helpers shared by the module CMakeLists.

# icegate_forbid_includes(target NAME name HEADERS regex WHAT words [DIRS dirs...]
#                         [ALLOW header...]): fails the build of target (through a custom target
# target_<name>) if one of the .cpp/.hpp files in its source folder or below DIRS includes a
# header whose path matches HEADERS, other than the headers named in ALLOW. WHAT names the
# forbidden headers in the messages. The one include check that icegate_forbid_asio and
# icegate_forbid_modules share (cmake/check_includes.cmake).
function(icegate_forbid_includes target)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "NAME;HEADERS;WHAT" "DIRS;ALLOW")
    get_target_property(dir ${target} SOURCE_DIR)
    set(dirs ${dir} ${arg_DIRS})
    set(files "")
    foreach(d IN LISTS dirs)
        file(GLOB_RECURSE found CONFIGURE_DEPENDS ${d}/*.hpp ${d}/*.cpp)
        list(APPEND files ${found})
    endforeach()
    set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.${arg_NAME}.stamp)
    list(JOIN dirs "|" dir_arg)
    list(JOIN arg_ALLOW "|" allow_arg)
    add_custom_command(
        OUTPUT ${stamp}
        COMMAND ${CMAKE_COMMAND} "-DDIRS=${dir_arg}" "-DHEADERS=${arg_HEADERS}"
                "-DALLOW=${allow_arg}" "-DTARGET=${target}" "-DWHAT=${arg_WHAT}" -DSTAMP=${stamp}
                -P ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
        DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
        COMMENT "Checking that ${target} does not include ${arg_WHAT}"
        VERBATIM)
    add_custom_target(${target}_${arg_NAME} DEPENDS ${stamp})
    add_dependencies(${target} ${target}_${arg_NAME})
endfunction()

# The sans-I/O modules (stun, turn) must never see Boost.Asio: they take bytes, time and
# randomness as inputs. Fail the configure step if one links it, and the build if one of their
# sources includes it. icegate_forbid_asio(target [extra header dirs...] [ALLOW header...]):
# ALLOW names the few header-only Asio headers a module may include (config's ip::address).
function(icegate_forbid_asio target)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "ALLOW")
    get_target_property(libs ${target} LINK_LIBRARIES)
    if(libs)
        foreach(lib IN LISTS libs)
            if(lib MATCHES "Boost|boost|asio")
                message(FATAL_ERROR "${target} is sans-I/O and must not link ${lib}")
            endif()
        endforeach()
    endif()
    icegate_forbid_includes(${target} NAME no_asio HEADERS "boost/(asio|beast)"
                            WHAT "Boost.Asio (it is sans-I/O)"
                            DIRS ${arg_UNPARSED_ARGUMENTS} ALLOW ${arg_ALLOW})
endfunction()

# The modules are layered: net carries out what stun and turn decide and knows nothing of the
# config, the app wiring, the web and admin front ends or signaling, which sit above it.
# icegate_forbid_modules(target module... [DIRS header dirs...]): fails the configure step if
# the target links icegate_<module>, directly or through another icegate library, and the build
# if one of its sources, or a header in DIRS, includes a header of one of the modules.
function(icegate_forbid_modules target)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DIRS")
    set(modules ${arg_UNPARSED_ARGUMENTS})
    set(pending ${target})
    set(seen "")
    while(pending)
        list(POP_FRONT pending t)
        if(t IN_LIST seen OR NOT TARGET ${t})
            continue()
        endif()
        list(APPEND seen ${t})
        get_target_property(libs ${t} LINK_LIBRARIES)
        if(NOT libs)
            set(libs "")
        endif()
        get_target_property(ilibs ${t} INTERFACE_LINK_LIBRARIES)
        if(ilibs)
            list(APPEND libs ${ilibs})
        endif()
        foreach(lib IN LISTS libs)
            foreach(m IN LISTS modules)
                if(lib STREQUAL "icegate_${m}")
                    message(FATAL_ERROR "${target} must not depend on ${lib} (linked by ${t})")
                endif()
            endforeach()
            if(lib MATCHES "^icegate_")
                list(APPEND pending ${lib})
            endif()
        endforeach()
    endwhile()
    list(JOIN modules "|" module_arg)
    list(JOIN modules ", " module_names)
    # A module's public header (icegate/config/config.hpp) or a private one by a relative path
    # (../app/server.hpp, ../../src/app/server.hpp).
    icegate_forbid_includes(${target} NAME layering
                            HEADERS "(icegate/|[^>\"]*\\.\\./(src/)?)(${module_arg})/"
                            WHAT "${module_names}" DIRS ${arg_DIRS})
endfunction()

# One GoogleTest executable per module: tests/unit/<module>/*_test.cpp.
function(icegate_unit_tests module)
    file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/${module}/*_test.cpp)
    if(NOT sources)
        return()
    endif()
    add_executable(${module}_test ${sources})
    target_link_libraries(${module}_test PRIVATE ${ARGN} GTest::gtest GTest::gtest_main)
    # Tests may include their module's private headers by name.
    target_include_directories(${module}_test PRIVATE ${PROJECT_SOURCE_DIR}/src/${module})
    target_compile_definitions(${module}_test PRIVATE
        ICEGATE_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests")
    gtest_discover_tests(${module}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()
