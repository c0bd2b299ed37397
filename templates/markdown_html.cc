#include "templates/markdown_html.h"

#include <cstdlib>
#include <memory>

#include <cmark.h>

namespace herald::templates_internal {
namespace {

bool IsHttpScheme(const char* url) {
  if (url == nullptr) return false;
  std::string_view u(url);
  auto lower_prefix = [&](std::string_view p) {
    if (u.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      char c = u[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != p[i]) return false;
    }
    return true;
  };
  return lower_prefix("http://") || lower_prefix("https://");
}

void RewriteLinks(cmark_node* root, const std::function<std::string(std::string_view)>& rewrite) {
  cmark_iter* iter = cmark_iter_new(root);
  cmark_event_type ev;
  while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
    cmark_node* node = cmark_iter_get_node(iter);
    if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_LINK) continue;
    const char* url = cmark_node_get_url(node);
    if (!IsHttpScheme(url)) continue;
    std::string rewritten = rewrite(url);
    cmark_node_set_url(node, rewritten.c_str());
  }
  cmark_iter_free(iter);
}

// Inline styles for the opening tags cmark writes, built once per message.
class Styles {
 public:
  explicit Styles(const MarkdownStyle& s)
      : list_(s.rtl ? "margin:0 0 16px;padding:0 24px 0 0;"
                    : "margin:0 0 16px;padding:0 0 0 24px;"),
        link_("color:" + s.link_color + ";text-decoration:underline;"),
        quote_(std::string("margin:0 0 16px;padding:4px 16px;") +
               (s.rtl ? "border-right:4px solid #d1d5db;" : "border-left:4px solid #d1d5db;")) {}

  // The style for `tag`, or empty for none.
  std::string_view For(std::string_view tag) const {
    if (tag == "p") return "margin:0 0 16px;";
    if (tag == "li") return "margin:0 0 8px;";
    if (tag == "a") return link_;
    if (tag == "ul" || tag == "ol") return list_;
    if (tag == "strong" || tag == "em") return {};
    if (tag == "h1") return "margin:0 0 16px;font-size:24px;color:#111827;line-height:1.3;";
    if (tag == "h2") return "margin:24px 0 12px;font-size:20px;color:#111827;line-height:1.3;";
    if (tag.size() == 2 && tag[0] == 'h' && tag[1] >= '3' && tag[1] <= '6') {
      return "margin:20px 0 8px;font-size:17px;color:#111827;line-height:1.3;";
    }
    if (tag == "blockquote") return quote_;
    if (tag == "pre") {
      return "margin:0 0 16px;padding:12px;background-color:#f3f4f6;white-space:pre-wrap;";
    }
    if (tag == "code") return "font-family:Consolas,Menlo,monospace;font-size:15px;";
    if (tag == "hr") return "border:0;border-top:1px solid #d1d5db;margin:24px 0;";
    if (tag == "img") return "max-width:100%;height:auto;border:0;";
    return {};
  }

 private:
  std::string list_, link_, quote_;
};

// Adds style="..." to every opening tag in cmark's output. Text and attribute values in
// that output are escaped (a '<' in them is &lt;), so every '<' starts a tag or comment.
std::string AddInlineStyles(std::string_view html, const MarkdownStyle& style) {
  const Styles styles(style);
  std::string out;
  out.reserve(html.size() + html.size() / 2);
  size_t i = 0;
  while (i < html.size()) {
    size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) break;
    size_t name_end = lt + 1;
    while (name_end < html.size() && ((html[name_end] >= 'a' && html[name_end] <= 'z') ||
                                      (html[name_end] >= '0' && html[name_end] <= '9'))) {
      ++name_end;
    }
    out.append(html.substr(i, name_end - i));
    i = name_end;
    std::string_view name = html.substr(lt + 1, name_end - lt - 1);
    if (name.empty()) continue;  // a closing tag or a comment
    std::string_view css = styles.For(name);
    if (!css.empty()) out.append(" style=\"").append(css).append("\"");
  }
  out.append(html.substr(i));
  return out;
}

}  // namespace

std::string MarkdownToHtml(std::string_view markdown,
                           const std::function<std::string(std::string_view)>& rewrite,
                           const MarkdownStyle& style) {
  // CMARK_OPT_SAFE is cmark 0.30's default (kept for older versions): raw HTML is omitted
  // and dangerous URL schemes are dropped.
  constexpr int kOptions = CMARK_OPT_SAFE;
  std::unique_ptr<cmark_node, void (*)(cmark_node*)> doc(
      cmark_parse_document(markdown.data(), markdown.size(), kOptions), cmark_node_free);
  if (!doc) return {};
  if (rewrite) RewriteLinks(doc.get(), rewrite);
  std::unique_ptr<char, void (*)(void*)> html(cmark_render_html(doc.get(), kOptions), std::free);
  if (!html) return {};
  return AddInlineStyles(html.get(), style);
}

}  // namespace herald::templates_internal
