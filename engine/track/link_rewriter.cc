#include "engine/track/link_rewriter.h"

#include <algorithm>
#include <map>
#include <optional>

namespace herald {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  }
  return true;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string HtmlAttrEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '"') {
      out += "&quot;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xc0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(char(0xe0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(char(0xf0 | (cp >> 18)));
    out->push_back(char(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  }
}

// Decodes the character references a browser would in an attribute value: the named ones
// templates emit and every numeric one. Unknown named references stay as written.
std::string DecodeAttr(std::string_view v) {
  static const std::pair<std::string_view, char> kNamed[] = {
      {"amp;", '&'},  {"lt;", '<'},       {"gt;", '>'},    {"quot;", '"'}, {"apos;", '\''},
      {"Tab;", '\t'}, {"NewLine;", '\n'}, {"colon;", ':'}, {"sol;", '/'}};
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '&') {
      out.push_back(v[i]);
      continue;
    }
    std::string_view rest = v.substr(i + 1);
    if (!rest.empty() && rest[0] == '#') {
      size_t j = 1;
      const bool hex = j < rest.size() && (rest[j] == 'x' || rest[j] == 'X');
      if (hex) ++j;
      uint32_t cp = 0;
      size_t digits = 0;
      for (; j < rest.size(); ++j, ++digits) {
        const char c = rest[j];
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        if (hex && Lower(c) >= 'a' && Lower(c) <= 'f') d = Lower(c) - 'a' + 10;
        if (d < 0) break;
        if (cp < 0x110000) cp = cp * (hex ? 16 : 10) + uint32_t(d);
      }
      if (digits > 0) {
        AppendUtf8(&out, cp);
        i += j + (j < rest.size() && rest[j] == ';' ? 1 : 0);
        continue;
      }
    } else {
      bool matched = false;
      for (const auto& [name, c] : kNamed) {
        if (rest.substr(0, name.size()) == name) {
          out.push_back(c);
          i += name.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    out.push_back('&');
  }
  return out;
}

class Rewriter {
 public:
  Rewriter(const LinkRewriteOptions& options, const MessageTokens& tokens)
      : options_(options), tokens_(tokens), base_(options.public_url) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  // The tracked URL for `url`, or nullopt when it stays direct.
  std::optional<std::string> Track(const std::string& url) {
    if (!IsTrackableUrl(url)) return std::nullopt;
    if (!base_.empty() && StartsWithNoCase(url, base_ + "/")) return std::nullopt;
    for (const std::string& p : options_.direct_prefixes) {
      if (!p.empty() && StartsWithNoCase(url, p)) return std::nullopt;
    }
    auto it = index_.find(url);
    if (it == index_.end()) {
      if (links_.size() >= kMaxLinks) return std::nullopt;
      it = index_.emplace(url, uint32_t(links_.size())).first;
      links_.push_back(url);
    }
    return base_ + "/c/" + tokens_.click(it->second);
  }

  std::string Html(std::string_view html);
  std::string Text(std::string_view text);
  std::vector<std::string> TakeLinks() { return std::move(links_); }
  const std::string& base() const { return base_; }

 private:
  // Copies the tag starting at html[i] == '<' into out (rewriting an <a>/<area> href) and
  // returns the index after it.
  size_t Tag(std::string_view html, size_t i, std::string* out);

  const LinkRewriteOptions& options_;
  const MessageTokens& tokens_;
  std::string base_;
  std::map<std::string, uint32_t> index_;
  std::vector<std::string> links_;
};

size_t Rewriter::Tag(std::string_view html, size_t i, std::string* out) {
  size_t j = i + 1;
  const bool closing = j < html.size() && html[j] == '/';
  if (closing) ++j;
  const size_t name_start = j;
  while (j < html.size() && IsAlnum(html[j])) ++j;
  std::string name;
  for (size_t k = name_start; k < j; ++k) name.push_back(Lower(html[k]));
  const bool link_tag = !closing && (name == "a" || name == "area");
  bool href_seen = false;
  size_t rep_begin = std::string_view::npos, rep_end = 0;
  std::string rep;
  // Attributes: name [= value], value quoted with " or ', or unquoted.
  while (j < html.size() && html[j] != '>') {
    if (IsSpace(html[j]) || html[j] == '/') {
      ++j;
      continue;
    }
    const size_t attr_start = j;
    while (j < html.size() && !IsSpace(html[j]) && html[j] != '/' && html[j] != '>' &&
           html[j] != '=') {
      ++j;
    }
    const std::string_view attr = html.substr(attr_start, j - attr_start);
    size_t k = j;
    while (k < html.size() && IsSpace(html[k])) ++k;
    if (k >= html.size() || html[k] != '=') continue;
    ++k;
    while (k < html.size() && IsSpace(html[k])) ++k;
    size_t value_start = k, value_end = k;
    if (k < html.size() && (html[k] == '"' || html[k] == '\'')) {
      const char q = html[k];
      value_start = k + 1;
      value_end = html.find(q, value_start);
      if (value_end == std::string_view::npos) value_end = html.size();
      j = std::min(value_end + 1, html.size());
    } else {
      while (k < html.size() && !IsSpace(html[k]) && html[k] != '>') ++k;
      value_end = k;
      j = k;
    }
    // Only the first href counts (as in browsers).
    if (link_tag && !href_seen && attr.size() == 4 && StartsWithNoCase(attr, "href")) {
      href_seen = true;
      std::string url = DecodeAttr(html.substr(value_start, value_end - value_start));
      // Browsers strip leading and trailing whitespace from an href.
      while (!url.empty() && IsSpace(url.front())) url.erase(url.begin());
      while (!url.empty() && IsSpace(url.back())) url.pop_back();
      if (std::optional<std::string> tracked = Track(url)) {
        rep_begin = attr_start;
        rep_end = j;
        rep = "href=\"" + HtmlAttrEscape(*tracked) + "\"";
      }
    }
  }
  const size_t end = j < html.size() ? j + 1 : html.size();
  if (rep_begin != std::string_view::npos) {
    out->append(html.substr(i, rep_begin - i));
    out->append(rep);
    out->append(html.substr(rep_end, end - rep_end));
  } else {
    out->append(html.substr(i, end - i));
  }
  // Raw text elements: their content is not markup.
  if (!closing && (name == "style" || name == "script")) {
    const std::string close = "</" + name;
    size_t k = end;
    while (k < html.size() && !StartsWithNoCase(html.substr(k), close)) ++k;
    out->append(html.substr(end, k - end));
    return k;
  }
  return end;
}

std::string Rewriter::Html(std::string_view html) {
  std::string out;
  out.reserve(html.size() + 256);
  size_t i = 0;
  while (i < html.size()) {
    const size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) {
      out.append(html.substr(i));
      break;
    }
    out.append(html.substr(i, lt - i));
    if (html.substr(lt, 4) == "<!--") {
      size_t end = html.find("-->", lt + 4);
      end = end == std::string_view::npos ? html.size() : end + 3;
      out.append(html.substr(lt, end - lt));
      i = end;
    } else if (lt + 1 < html.size() && (IsAlnum(html[lt + 1]) || html[lt + 1] == '/')) {
      i = Tag(html, lt, &out);
    } else {
      out.push_back('<');
      i = lt + 1;
    }
  }
  return out;
}

std::string Rewriter::Text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t i = 0;
  while (i < text.size()) {
    const bool boundary = i == 0 || !IsAlnum(text[i - 1]);
    const std::string_view rest = text.substr(i);
    if (!boundary || !(StartsWithNoCase(rest, "http://") || StartsWithNoCase(rest, "https://"))) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    while (end < text.size() && uint8_t(text[end]) > 0x20 && text[end] != '<' && text[end] != '>' &&
           text[end] != '"' && text[end] != 0x7f) {
      ++end;
    }
    // Sentence punctuation and an unbalanced closing bracket end the URL, not belong to it.
    while (end > i) {
      const char c = text[end - 1];
      if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' ||
          c == '*' || c == '_') {
        --end;
        continue;
      }
      const char open = c == ')' ? '(' : c == ']' ? '[' : c == '}' ? '{' : 0;
      if (open == 0) break;
      const std::string_view u = text.substr(i, end - i);
      if (std::count(u.begin(), u.end(), open) < std::count(u.begin(), u.end(), c)) {
        --end;
        continue;
      }
      break;
    }
    const std::string url(text.substr(i, end - i));
    if (std::optional<std::string> tracked = Track(url)) {
      out.append(*tracked);
    } else {
      out.append(url);
    }
    i = end;
  }
  return out;
}

size_t FindLastNoCase(std::string_view s, std::string_view needle) {
  if (s.size() < needle.size()) return std::string_view::npos;
  for (size_t i = s.size() - needle.size() + 1; i-- > 0;) {
    if (StartsWithNoCase(s.substr(i), needle)) return i;
  }
  return std::string_view::npos;
}

}  // namespace

bool IsTrackableUrl(std::string_view url) {
  if (url.size() > kMaxUrlBytes) return false;
  size_t host_start = 0;
  if (StartsWithNoCase(url, "https://")) {
    host_start = 8;
  } else if (StartsWithNoCase(url, "http://")) {
    host_start = 7;
  } else {
    return false;
  }
  for (char c : url) {
    const uint8_t b = uint8_t(c);
    if (b <= 0x20 || b >= 0x7f || c == '\\') return false;
  }
  const size_t host_end = url.find_first_of("/?#", host_start);
  std::string_view authority =
      url.substr(host_start, host_end == std::string_view::npos ? std::string_view::npos
                                                                : host_end - host_start);
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  return !authority.empty() && authority[0] != ':';
}

Result<MessageTokens> MakeMessageTokens(const TokenCodec& codec, std::string_view message_id) {
  Result<std::string> open = codec.Encode({TokenKind::kOpen, std::string(message_id), 0});
  if (!open.ok()) return open.status();
  MessageTokens t;
  t.open = std::move(open).value();
  t.click = [codec, id = std::string(message_id)](uint32_t index) {
    Result<std::string> r = codec.Encode({TokenKind::kClick, id, index});
    // The id was checked above and the rewriter never exceeds kMaxLinks < kMaxLinkIndex.
    return r.ok() ? std::move(r).value() : std::string();
  };
  return t;
}

RewrittenEmail RewriteEmail(std::string_view html, std::string_view text,
                            const LinkRewriteOptions& options, const MessageTokens& tokens) {
  Rewriter r(options, tokens);
  RewrittenEmail out;
  out.html = r.Html(html);
  out.text = r.Text(text);
  if (options.open_pixel && !out.html.empty()) {
    const std::string pixel = "<img src=\"" + HtmlAttrEscape(r.base() + "/o/" + tokens.open) +
                              "\" width=\"1\" height=\"1\" alt=\"\">";
    const size_t body = FindLastNoCase(out.html, "</body");
    if (body == std::string::npos) {
      out.html += pixel;
    } else {
      out.html.insert(body, pixel + "\n");
    }
  }
  out.links = r.TakeLinks();
  return out;
}

RewrittenSms RewriteSms(std::string_view text, const LinkRewriteOptions& options,
                        const MessageTokens& tokens) {
  Rewriter r(options, tokens);
  RewrittenSms out;
  out.text = r.Text(text);
  out.links = r.TakeLinks();
  return out;
}

}  // namespace herald
