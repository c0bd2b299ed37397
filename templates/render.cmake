# herald_templates: message rendering (Mustache via kainjow, CommonMark via cmark, ICU
# formatting, the email layout, SMS counting). Included by templates/CMakeLists.txt.

# cmark: Debian 12's libcmark-dev ships a CMake config (cmark-targets.cmake) that names a
# /usr/bin/cmark the package does not install, so find_package(cmark CONFIG) stops the
# configure step with a fatal error there. pkg-config's libcmark.pc is complete.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CMARK REQUIRED IMPORTED_TARGET libcmark)

# kainjow mustache is header-only (libkainjow-mustache-dev).
find_path(KAINJOW_MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp REQUIRED)

add_library(herald_templates STATIC
  ${CMAKE_CURRENT_LIST_DIR}/branding.cc
  ${CMAKE_CURRENT_LIST_DIR}/email_layout.cc
  ${CMAKE_CURRENT_LIST_DIR}/locale_format.cc
  ${CMAKE_CURRENT_LIST_DIR}/markdown_html.cc
  ${CMAKE_CURRENT_LIST_DIR}/message_template.cc
  ${CMAKE_CURRENT_LIST_DIR}/mustache_scan.cc
  ${CMAKE_CURRENT_LIST_DIR}/render.cc
  ${CMAKE_CURRENT_LIST_DIR}/render_context.cc
  ${CMAKE_CURRENT_LIST_DIR}/sms.cc
  ${CMAKE_CURRENT_LIST_DIR}/template_data.cc
  ${CMAKE_CURRENT_LIST_DIR}/template_set.cc
  ${CMAKE_CURRENT_LIST_DIR}/text_util.cc
)
target_include_directories(herald_templates PRIVATE ${KAINJOW_MUSTACHE_INCLUDE_DIR})
# herald_config: ConfigError and the YAML readers (Diagnostics, YamlMap) for the front matter.
# herald_rules: ScalarTextMark (engine/rules/scalar_position.h), to place an error inside a
# quoted subject: or sms: value at its line and column, as the campaign loader does.
target_link_libraries(herald_templates
  PUBLIC herald_core herald_config nlohmann_json::nlohmann_json
  PRIVATE herald_rules yaml-cpp ICU::uc ICU::i18n PkgConfig::CMARK)
