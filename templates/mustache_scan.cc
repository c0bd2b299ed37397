#include "templates/mustache_scan.h"

#include <array>
#include <cctype>

namespace herald::templates_internal {
namespace {

constexpr std::array<std::string_view, 7> kHelpers = {
    "date", "date_full", "time", "datetime", "datetime_full", "number", "plural"};

bool IsSpace(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;  // as kainjow's trim
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// "a", "a.b_c", "x-1.y": parts of letters, digits, '_' and '-', joined by single dots.
bool IsPath(std::string_view s) {
  if (s.empty()) return false;
  bool part_empty = true;
  for (char c : s) {
    if (c == '.') {
      if (part_empty) return false;
      part_empty = true;
    } else if (IsNameChar(c)) {
      part_empty = false;
    } else {
      return false;
    }
  }
  return !part_empty;
}

bool IsLiteral(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c) && c != '.' && c != ':' && c != '+') return false;
  }
  return true;
}

// A section name: a path, ".", "path=literal" or ".=literal".
bool IsSectionName(std::string_view s) {
  size_t eq = s.find('=');
  if (eq == std::string_view::npos) return s == "." || IsPath(s);
  std::string_view path = s.substr(0, eq), literal = s.substr(eq + 1);
  return (path == "." || IsPath(path)) && IsLiteral(literal);
}

constexpr std::string_view kNameRule =
    "a name is letters, digits, '_' and '-', with '.' between parts (such as "
    "recipient.first_name)";

struct OpenSection {
  std::string name;
  size_t offset;      // of its "{{"
  size_t body_begin;  // just after its "}}"
  bool helper;
};

bool IsBlockTag(TagKind k) {
  return k == TagKind::kSection || k == TagKind::kInverted || k == TagKind::kClose ||
         k == TagKind::kComment;
}

// The text kainjow parses: see the header. `tags` are all the tags of `text`, in order.
std::string KainjowSource(std::string_view text, const std::vector<MustacheTag>& tags) {
  // Byte ranges to leave out: the whitespace and line break of standalone lines.
  std::vector<std::pair<size_t, size_t>> drop;
  size_t k = 0;  // first tag at or after the line start
  for (size_t ls = 0; ls < text.size();) {
    size_t nl = text.find('\n', ls);
    const size_t le = nl == std::string_view::npos ? text.size() : nl;
    const size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    while (k < tags.size() && tags[k].offset < ls) ++k;
    bool standalone = k < tags.size() && tags[k].offset < le &&
                      !(k > 0 && tags[k - 1].end > ls);  // not inside a tag from above
    size_t m = k, at = ls;
    std::vector<std::pair<size_t, size_t>> gaps;
    for (; standalone && m < tags.size() && tags[m].offset < le; ++m) {
      if (!IsBlockTag(tags[m].kind) || tags[m].end > le) standalone = false;
      gaps.emplace_back(at, tags[m].offset);
      at = tags[m].end;
    }
    gaps.emplace_back(at, next);
    for (const auto& [b, e] : gaps) {
      for (size_t i = b; standalone && i < e; ++i) {
        const char c = text[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') standalone = false;
      }
    }
    if (standalone) {
      for (const auto& g : gaps) {
        if (g.first < g.second) drop.push_back(g);
      }
    }
    ls = next;
  }

  std::string out;
  out.reserve(text.size() + tags.size() + 16);
  size_t d = 0;
  size_t pos = 0;
  auto copy_to = [&](size_t until) {
    while (pos < until) {
      while (d < drop.size() && drop[d].second <= pos) ++d;
      if (d < drop.size() && drop[d].first <= pos) {
        pos = std::min(drop[d].second, until);
        continue;
      }
      const size_t stop = d < drop.size() ? std::min(drop[d].first, until) : until;
      out.append(text.substr(pos, stop - pos));
      pos = stop;
    }
  };
  for (const MustacheTag& t : tags) {
    if (t.kind == TagKind::kVariable) {
      copy_to(t.name_offset);
      out.push_back('@');
      copy_to(t.end);
    } else {
      copy_to(t.end);
      if (t.kind != TagKind::kComment) out.push_back(kLineKeeper);
    }
  }
  copy_to(text.size());
  return out;
}

}  // namespace

bool IsHelperName(std::string_view name) {
  for (std::string_view h : kHelpers) {
    if (h == name) return true;
  }
  return false;
}

std::string_view DataPathOf(std::string_view name) {
  size_t eq = name.find('=');
  std::string_view path = eq == std::string_view::npos ? name : name.substr(0, eq);
  return path == "." ? std::string_view() : path;
}

ScanResult ScanMustache(std::string_view text) {
  ScanResult out;
  std::vector<OpenSection> open;
  int helpers_open = 0;
  auto error = [&](size_t offset, std::string message) {
    out.errors.push_back({offset, std::move(message)});
  };

  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = text.find("{{", pos);
    if (start == std::string_view::npos) break;

    // kainjow: "{{{" opens an unescaped variable closed by "}}}".
    const bool triple = start + 2 < text.size() && text[start + 2] == '{';
    const size_t contents_begin = start + (triple ? 3 : 2);
    const std::string_view closer = triple ? "}}}" : "}}";
    const size_t close = text.find(closer, contents_begin);
    if (close == std::string_view::npos) {
      error(start, "unclosed tag: '" + std::string(triple ? "{{{" : "{{") + "' without '" +
                       std::string(closer) + "'");
      pos = text.size();
      break;
    }
    const size_t end = close + closer.size();
    const std::string_view raw = text.substr(contents_begin, close - contents_begin);
    const std::string_view contents = Trim(raw);
    const size_t contents_at =
        contents.empty() ? contents_begin : static_cast<size_t>(contents.data() - text.data());
    const std::string_view whole = text.substr(start, end - start);
    pos = end;

    if (triple) {
      error(start, "'" + std::string(whole) +
                       "': unescaped output is not allowed; every value is escaped for the part "
                       "it is in, so write {{" +
                       std::string(contents) + "}}");
      continue;
    }
    if (contents.empty()) {
      error(start, "empty tag '" + std::string(whole) + "'");
      continue;
    }

    MustacheTag tag;
    tag.offset = start;
    tag.end = end;
    tag.depth = static_cast<int>(open.size());
    tag.data_depth = tag.depth - helpers_open;
    tag.in_helper = helpers_open > 0;
    const char sigil = contents[0];
    std::string_view name = Trim(contents.substr(1));
    switch (sigil) {
      case '=':
        error(start, "'" + std::string(whole) + "': changing the delimiters is not supported");
        continue;
      case '>':
        error(start, "'" + std::string(whole) + "': partials are not supported");
        continue;
      case '&':
        error(start, "'" + std::string(whole) +
                         "': unescaped output is not allowed; every value is escaped for the "
                         "part it is in, so write {{" +
                         std::string(name) + "}}");
        continue;
      case '!':
        tag.kind = TagKind::kComment;
        tag.name = std::string(name);
        out.tags.push_back(std::move(tag));
        continue;
      case '#':
      case '^': {
        tag.kind = sigil == '#' ? TagKind::kSection : TagKind::kInverted;
        tag.name = std::string(name);
        const bool helper = IsHelperName(name);
        if (!helper && !IsSectionName(name)) {
          error(start, "'" + std::string(whole) + "': " + std::string(kNameRule) +
                           ", or name=value to test a value");
        } else if (helper && sigil == '^') {
          error(start, "'" + std::string(whole) + "': '" + std::string(name) +
                           "' is a helper and cannot be an inverted section");
        }
        open.push_back({tag.name, start, end, helper && sigil == '#'});
        if (open.back().helper) ++helpers_open;
        out.tags.push_back(std::move(tag));
        continue;
      }
      case '/': {
        tag.kind = TagKind::kClose;
        tag.name = std::string(name);
        size_t match = open.size();
        while (match > 0 && open[match - 1].name != name) --match;
        if (match == 0) {
          error(start, "'" + std::string(whole) + "' closes a section that is not open");
        } else {
          // Sections opened after the matching one were never closed.
          for (size_t i = open.size(); i > match; --i) {
            const OpenSection& s = open[i - 1];
            error(s.offset, "section '{{#" + s.name + "}}' is not closed before '" +
                                std::string(whole) + "' (add '{{/" + s.name + "}}')");
          }
          const OpenSection& s = open[match - 1];
          if (s.helper && Trim(text.substr(s.body_begin, start - s.body_begin)).empty()) {
            error(s.offset, "'{{#" + s.name + "}}' needs a value inside it, such as {{#" + s.name +
                                "}}{{interview_at}}{{/" + s.name + "}}");
          }
          for (size_t i = open.size(); i >= match; --i) {
            if (open[i - 1].helper) --helpers_open;
          }
          open.resize(match - 1);
          tag.depth = static_cast<int>(open.size());
          tag.data_depth = tag.depth - helpers_open;
          tag.in_helper = helpers_open > 0;
        }
        out.tags.push_back(std::move(tag));
        continue;
      }
      default:
        break;
    }

    // A variable: {{name}} becomes {{@name}} for the render context.
    tag.kind = TagKind::kVariable;
    tag.name = std::string(contents);
    if (contents != "." && !IsPath(contents)) {
      error(start, "'" + std::string(whole) + "': " + std::string(kNameRule));
    }
    tag.name_offset = contents_at;
    out.tags.push_back(std::move(tag));
  }
  for (const OpenSection& s : open) {
    error(s.offset, "section '{{#" + s.name + "}}' is never closed (add '{{/" + s.name + "}}')");
  }
  if (out.errors.empty()) out.kainjow_source = KainjowSource(text, out.tags);
  return out;
}

}  // namespace herald::templates_internal
