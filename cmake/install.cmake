# Install rules: `cmake --install build --prefix P` gives
#   P/include/bytegrad/<layer>/*.h   the headers in their source layout (+ bytegrad.h, capi/)
#   P/lib/libbytegrad_*.a            the static libraries
#   P/bin/bytegrad                   the command-line program
#   P/lib/cmake/bytegrad/            the CMake package: find_package(bytegrad CONFIG) -> bytegrad::bytegrad
#   P/lib/pkgconfig/bytegrad.pc      the same for pkg-config
include(CMakePackageConfigHelpers)

set(BYTEGRAD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bytegrad)

install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/bytegrad.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bytegrad)
install(DIRECTORY base kernels tensor autograd nn io infer dist train tokenizer capi
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bytegrad
        FILES_MATCHING PATTERN "*.h" PATTERN "*.cuh")

install(TARGETS bytegrad_library bytegrad_c bytegrad_core bytegrad_tokenizer EXPORT bytegrad-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS bytegrad RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT bytegrad-targets NAMESPACE bytegrad:: DESTINATION ${BYTEGRAD_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/bytegrad-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/bytegrad-config.cmake INSTALL_DESTINATION ${BYTEGRAD_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/bytegrad-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bytegrad-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/bytegrad-config-version.cmake
        DESTINATION ${BYTEGRAD_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own place, so the tree can be moved.
if(BYTEGRAD_CUDA)
  set(BYTEGRAD_PC_CUDA_LIBS "-L${CUDAToolkit_LIBRARY_DIR} -lcublas -lcudart")
endif()
if(BYTEGRAD_CUDA_EMULATION)
  set(BYTEGRAD_PC_CUDA_LIBS "-lboost_context")
endif()
if(BYTEGRAD_NCCL)
  string(APPEND BYTEGRAD_PC_CUDA_LIBS " -lnccl")
endif()
if(BYTEGRAD_MPI)
  set(BYTEGRAD_PC_MPI_REQUIRES "ompi-c")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/bytegrad.pc.in ${CMAKE_CURRENT_BINARY_DIR}/bytegrad.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bytegrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
