# Helpers shared by the module CMakeLists.

# The sans-I/O modules (stun, turn) must never see Boost.Asio: they take bytes, time and
# randomness as inputs. Fail the configure step if one links it, and the build if one of their
# sources includes it.
function(icegate_forbid_asio target)
    get_target_property(libs ${target} LINK_LIBRARIES)
    if(libs)
        foreach(lib IN LISTS libs)
            if(lib MATCHES "Boost|boost|asio")
                message(FATAL_ERROR "${target} is sans-I/O and must not link ${lib}")
            endif()
        endforeach()
    endif()
    get_target_property(srcs ${target} SOURCES)
    get_target_property(dir ${target} SOURCE_DIR)
    set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.no_asio.stamp)
    list(JOIN ARGN "|" extra)
    set(dirs "${dir}|${extra}")
    add_custom_command(
        OUTPUT ${stamp}
        COMMAND ${CMAKE_COMMAND} "-DDIRS=${dirs}" -DSTAMP=${stamp}
                -P ${PROJECT_SOURCE_DIR}/cmake/check_no_asio.cmake
        DEPENDS ${srcs} ${PROJECT_SOURCE_DIR}/cmake/check_no_asio.cmake
        COMMENT "Checking that ${target} does not use Boost.Asio"
        VERBATIM)
    add_custom_target(${target}_no_asio DEPENDS ${stamp})
    add_dependencies(${target} ${target}_no_asio)
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
