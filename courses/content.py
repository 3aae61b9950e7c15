"""Lesson content: teacher-written Markdown with LaTeX math, rendered to safe HTML.

Math is converted on the server to MathML, which Chromium renders natively, so pages need no
JavaScript for it. Everything Markdown produces, math included, then passes one allow-list
sanitizer, so raw HTML written by a teacher can never add scripts, styles or event handlers.
"""

import html
import re
import unicodedata
import xml.etree.ElementTree as etree
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

import markdown
import nh3
from latex2mathml.converter import convert_to_element
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import STX, AtomicString
from pygments.formatters.html import HtmlFormatter
from pygments.token import STANDARD_TYPES

MathOutput = Literal["mathml", "source"]

# ---------------------------------------------------------------------------------------------
# Math
# ---------------------------------------------------------------------------------------------

# Math content: anything but a dollar sign, where a backslash escapes the next character.
_TEX = r"(?:[^$\\]|\\.)+?"

# One alternation, tried left to right at each position, so whichever construct starts first
# wins. Backslash escapes and raw HTML tags are matched only to be skipped: `\$` stays a dollar
# sign and a `$` inside a tag's attribute is not math. Inline math follows pandoc's
# tex_math_dollars: no space just inside either dollar, no digit right after the closing one,
# so "costs $5 and $10" stays text.
_MATH_INLINE_RE = (
    r"(?P<skip>\\.|<(?:/?[A-Za-z][^<>@ ]*(?: [^<>]*)?|!--.*?--)>)"
    rf"|\$\$(?P<display>{_TEX})\$\$"
    rf"|\$(?!\s)(?P<inline>{_TEX})(?<!\s)\$(?!\d)"
)

# A block that starts with display math; whatever follows the closing `$$` line is parsed anew.
_MATH_BLOCK_RE = re.compile(rf"\A {{0,3}}\$\$(?P<tex>{_TEX})\$\$[ \t]*(?:\n|\Z)", re.DOTALL)


def _latex_to_mathml(tex: str, *, display: bool) -> str:
    """Return MathML for `tex`, or its escaped source in `<code class="math-error">`."""
    try:
        math = convert_to_element(tex, display="block" if display else "inline")
        # latex2mathml stores character references such as "&#x0002B;" as literal text and
        # its own serializer unescapes the whole document afterwards, which also turns a `<`
        # typed inside \text{} into markup. Decoding each text node and serializing with
        # ElementTree keeps the teacher's characters as text.
        for element in math.iter():
            if element.text:
                element.text = html.unescape(element.text)
            if element.tail:
                element.tail = html.unescape(element.tail)
        return etree.tostring(math, encoding="unicode")
    except Exception:  # The converter's failure modes are not documented; none may escape.
        delimiter = "$$" if display else "$"
        return f'<code class="math-error">{html.escape(f"{delimiter}{tex}{delimiter}")}</code>'


class _MathInlineProcessor(InlineProcessor):
    def __init__(self, md: markdown.Markdown, output: MathOutput) -> None:
        super().__init__(_MATH_INLINE_RE, md)
        self.output = output

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str | None, int | None, int | None]:
        if m["skip"] is not None:
            return None, None, None
        display = m["display"] is not None
        tex = m["display"] if display else m["inline"]
        if STX in tex:  # A code span inside the dollars was parsed first: not math then.
            return None, None, None
        if self.output == "source":
            # A plain string becomes a text node: escaped, and not parsed as Markdown again.
            return tex.strip(), m.start(0), m.end(0)
        placeholder = self.md.htmlStash.store(_latex_to_mathml(tex, display=display))
        return placeholder, m.start(0), m.end(0)


class _MathBlockProcessor(BlockProcessor):
    """Keep a block opened by `$$` away from other block rules (`#`, `---`, `>` lines)."""

    def __init__(self, parser: Any, output: MathOutput) -> None:
        super().__init__(parser)
        self.output = output

    def test(self, parent: etree.Element, block: str) -> bool:
        return _MATH_BLOCK_RE.match(block) is not None

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        block = blocks.pop(0)
        match = _MATH_BLOCK_RE.match(block)
        assert match is not None  # test() has just matched the same block.
        rest = block[match.end() :]
        if rest.strip():
            blocks.insert(0, rest)
        paragraph = etree.SubElement(parent, "p")
        if self.output == "source":
            paragraph.text = AtomicString(match["tex"].strip())
        else:
            # A stashed block-level element replaces its whole <p> when the HTML is put back.
            math = _latex_to_mathml(match["tex"], display=True)
            html_block = f'<div class="math-display">{math}</div>'
            paragraph.text = self.parser.md.htmlStash.store(html_block)


class MathExtension(Extension):
    """`$inline$` and `$$display$$` LaTeX math; `\\$` is a literal dollar sign.

    With `output="mathml"` math becomes MathML; with `output="source"` it stays its LaTeX source
    as plain text. Code spans and code blocks are parsed before math, so they keep their dollars.
    """

    def __init__(self, output: MathOutput = "mathml", **kwargs: Any) -> None:
        self.output = output
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.ESCAPED_CHARS.append("$")
        # MathML is phrasing content: a paragraph holding only `$x$` must keep its <p>.
        if "math" in md.block_level_elements:
            md.block_level_elements.remove("math")
        # After code spans (190), before backslash escapes (180) so TeX keeps its backslashes.
        md.inlinePatterns.register(_MathInlineProcessor(md, self.output), "math", 185)
        # After indented code (80), before headings, rules, lists and quotes.
        md.parser.blockprocessors.register(
            _MathBlockProcessor(md.parser, self.output), "math_block", 75
        )


# ---------------------------------------------------------------------------------------------
# Code highlighting
# ---------------------------------------------------------------------------------------------


class _CodeFormatter(HtmlFormatter):
    """Pygments HTML with the fence's language kept as `<code class="language-…">`."""

    def __init__(self, lang_str: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.lang_str = lang_str

    def _wrap_code(self, inner: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        yield 0, f'<code class="{html.escape(self.lang_str)}">'
        yield from inner
        yield 0, "</code>"


_BASE_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "def_list", "abbr"]
_EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    # align="…" instead of style="text-align: …", which the sanitizer would drop.
    "tables": {"use_align_attribute": True},
    "codehilite": {
        "guess_lang": False,
        "css_class": "codehilite",
        "pygments_formatter": _CodeFormatter,
    },
}


def _markdown(output: MathOutput) -> markdown.Markdown:
    # markdown.Markdown keeps per-document state and is not thread-safe: one per call.
    extensions: list[str | Extension] = [*_BASE_EXTENSIONS, MathExtension(output=output)]
    if output == "mathml":
        extensions.append("codehilite")
    md = markdown.Markdown(
        extensions=extensions, extension_configs=_EXTENSION_CONFIGS, output_format="html"
    )
    # Raw HTML is shown as text, never parsed: the sanitizer would strip most of it anyway, and
    # Python-Markdown's raw-HTML handling takes quadratic time on crafted input.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


# ---------------------------------------------------------------------------------------------
# Sanitizing
# ---------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "abbr", "table", "thead",
    "tbody", "tr", "th", "td", "sup", "sub", "span", "div",
}  # fmt: skip
_MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace",
    "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover",
    "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose",
}  # fmt: skip
_MATHML_ATTRIBUTES = {
    "display", "xmlns", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace",
    "columnalign", "displaystyle", "scriptlevel", "accent", "accentunder", "movablelimits",
    "form", "largeop", "symmetric", "width", "height", "depth", "notation", "encoding",
    # Also emitted by latex2mathml and purely presentational: \binom, \Large, matrices,
    # \color and \colorbox. Its `href` (\href) and `style` (\style) are left out on purpose.
    "minsize", "maxsize", "linethickness", "mathsize", "rowspacing", "columnspacing",
    "rowlines", "columnlines", "mathcolor", "mathbackground",
}  # fmt: skip
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
    **dict.fromkeys(_MATHML_TAGS, _MATHML_ATTRIBUTES),
}
_PYGMENTS_CLASSES = {name for name in STANDARD_TYPES.values() if name} | {"hll"}
_ALLOWED_CLASSES: dict[str, re.Pattern[str]] = {
    "div": re.compile(r"codehilite|math-display"),
    "code": re.compile(r"math-error|language-[\w#.+-]+"),
    "span": re.compile("|".join(map(re.escape, _PYGMENTS_CLASSES))),
}
_URL_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_URL_IGNORED_CHARS_RE = re.compile(r"[\x00-\x20]")  # Browsers skip these around a scheme.


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        allowed = _ALLOWED_CLASSES.get(tag)
        kept = [name for name in value.split() if allowed and allowed.fullmatch(name)]
        return " ".join(kept) or None
    if tag == "img" and attribute == "src":
        scheme = _URL_SCHEME_RE.match(_URL_IGNORED_CHARS_RE.sub("", value))
        if scheme and scheme[1].lower() not in {"http", "https"}:
            return None
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_HTML_TAGS | _MATHML_TAGS,
        clean_content_tags={"script", "style", "template", "noscript", "iframe", "object"},
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
        url_schemes={"http", "https", "mailto"},
        url_relative="pass_through",
    )


@cache
def _text_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), attributes={}, strip_comments=True)


# ---------------------------------------------------------------------------------------------
# Public interface
# ---------------------------------------------------------------------------------------------


def render_markdown(text: str) -> str:
    """Return teacher-written Markdown as sanitized HTML, with LaTeX math as MathML."""
    if not text.strip():
        return ""
    return _cleaner().clean(_markdown("mathml").convert(text)).strip()


def render_code(source: str, language: str = "") -> str:
    """A code example as highlighted, sanitized HTML (a fenced block rendered as Markdown)."""
    if not source.strip():
        return ""
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    language = re.sub(r"[^\w+#.-]", "", language)[:32]
    return render_markdown(f"{fence}{language}\n{source}\n{fence}")


def render_plain_excerpt(text: str, length: int = 200) -> str:
    """Return the text of `text` without markup, at most `length` characters long.

    Math shows as its LaTeX source without the dollars. A longer text is cut at a word boundary
    (or between two CJK characters) and ends with "…". The result is plain, unescaped text.
    """
    if not text.strip():
        return ""
    rendered = _markdown("source").convert(text)
    plain = " ".join(html.unescape(_text_cleaner().clean(rendered)).split())
    if len(plain) <= length:
        return plain
    return _truncate(plain, length)


def _truncate(text: str, length: int) -> str:
    limit = max(length - 1, 0)  # Room for the ellipsis.
    cut = limit
    while cut > 0 and not _is_word_boundary(text, cut):
        cut -= 1
    if cut == 0:  # One word longer than the limit.
        cut = limit
    return text[:cut].rstrip(" ,;:，、：") + "…"


def _is_word_boundary(text: str, index: int) -> bool:
    before, after = text[index - 1], text[index]
    return before.isspace() or after.isspace() or _is_wide(before) or _is_wide(after)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in {"W", "F"}


def code_stylesheet() -> str:
    """CSS for highlighted code (Pygments' default style, scoped to `.codehilite`)."""
    return HtmlFormatter(style="default").get_style_defs(".codehilite")
