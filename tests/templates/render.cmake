# tests for herald_templates (templates/render.cmake). Included by tests/templates/CMakeLists.txt.
herald_add_test(templates_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/template_load_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/render_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/helpers_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/sms_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/samples_test.cc
  LIBS herald_templates)
