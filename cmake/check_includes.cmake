# Fails when any source or header below DIRS includes a header of one of MODULES (a pipe-separated
# list): its public header (icegate/config/config.hpp) or a private one by a relative path
# (../app/server.hpp, ../../src/app/server.hpp).
string(REPLACE "|" ";" dir_list "${DIRS}")
string(REPLACE "|" ", " module_names "${MODULES}")
foreach(dir IN LISTS dir_list)
    if(NOT dir)
        continue()
    endif()
    file(GLOB_RECURSE files ${dir}/*.hpp ${dir}/*.cpp)
    foreach(f IN LISTS files)
        file(STRINGS ${f} hits REGEX "#[ \t]*include[ \t]*[<\"](icegate/|[^>\"]*\\.\\./(src/)?)(${MODULES})/")
        foreach(hit IN LISTS hits)
            string(STRIP "${hit}" hit)
            message(FATAL_ERROR "${f}: `${hit}`: ${TARGET} must not depend on ${module_names}")
        endforeach()
    endforeach()
endforeach()
file(TOUCH ${STAMP})
