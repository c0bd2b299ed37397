// Markdown to email HTML: CommonMark (cmark) in safe mode, link rewriting, inline styles.
// Internal to herald_templates.
//
// Thread-safe: each call parses into its own cmark tree.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace herald::templates_internal {

struct MarkdownStyle {
  std::string link_color = "#1d4ed8";  // #rrggbb, already checked for contrast on white
  bool rtl = false;                    // list indents and quote borders on the right
};

// Renders `markdown` (a template body whose values were MarkdownEscape'd) to an HTML
// fragment. Raw HTML in the Markdown is not passed through (cmark's safe mode: it becomes
// an HTML comment, and javascript:, vbscript:, file: and data: links become empty), so
// only Markdown markup written by the template author reaches the output. Every link whose
// destination starts with http:// or https:// (any case) gets rewrite(destination) when
// `rewrite` is set. Each element gets inline styles (no <style> block: many mail clients
// drop it).
std::string MarkdownToHtml(std::string_view markdown,
                           const std::function<std::string(std::string_view)>& rewrite,
                           const MarkdownStyle& style);

}  // namespace herald::templates_internal
