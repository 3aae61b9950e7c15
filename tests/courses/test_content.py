from html.parser import HTMLParser

import pytest

from courses.content import render_code, render_markdown, render_plain_excerpt

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    '<a href="vbscript:x">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil></iframe>",
    "<style>body{}</style>",
    '<div style="position:fixed">x</div>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<math><annotation-xml encoding='text/html'><img src=x onerror=alert(1)></annotation-xml>",
    "<math><mi><style><img src=x onerror=alert(1)></style></mi></math>",
    '<p onclick="alert(1)" onmouseover="alert(1)">x</p>',
    '<a href="https://example.org" target="_blank">x</a>',
    "<!-- <script>alert(1)</script> -->",
    '<object data="x"></object><embed src="x"><form><input name="x"></form>',
    r"$\href{javascript:alert(1)}{x}$",
    r"$\style{position:fixed}{x}$",
    r"$\text{<script>alert(1)</script>}$",
]


FORBIDDEN_TAGS = {"script", "iframe", "svg", "object", "embed", "form", "input", "style", "maction"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def assert_harmless(html: str) -> None:
    """No element of the output can run code, restyle the page or open a window."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in FORBIDDEN_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "target", "xlink:href"}, (tag, name)
            if name in {"href", "src"}:
                scheme = (value or "").strip().lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (tag, value)


def test_empty_input_renders_nothing():
    # given nothing but whitespace
    # when it is rendered
    html = render_markdown("  \n\n ")
    # then the result is empty
    assert html == ""


def test_headings_lists_and_emphasis_render():
    # given ordinary Markdown
    text = "# Title\n\n## Part\n\n- one\n- *two*\n\n1. first\n2. **second**"
    # when it is rendered
    html = render_markdown(text)
    # then each construct becomes its HTML element
    assert "<h1>Title</h1>" in html
    assert "<h2>Part</h2>" in html
    assert "<ul>\n<li>one</li>\n<li><em>two</em></li>\n</ul>" in html
    assert "<li><strong>second</strong></li>" in html


def test_table_keeps_column_alignment_without_style():
    # given a table with aligned columns
    text = "| a | b |\n|:--|--:|\n| 1 | 2 |"
    # when it is rendered
    html = render_markdown(text)
    # then alignment is an attribute, not inline CSS
    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert "style=" not in html


def test_fenced_code_keeps_its_language_class_and_is_highlighted_with_classes():
    # given a fenced Python block
    text = "```python\nimport os\n```"
    # when it is rendered
    html = render_markdown(text)
    # then the language class survives and highlighting uses classes only
    assert '<code class="language-python">' in html
    assert '<span class="kn">import</span>' in html
    assert "style=" not in html


def test_links_get_rel_and_keep_safe_urls():
    # given absolute, relative and mail links
    text = "[a](https://example.org) [b](../lesson/2) [c](mailto:t@example.org)"
    # when it is rendered
    html = render_markdown(text)
    # then every link keeps its address and gets rel
    rel = 'rel="noopener noreferrer nofollow"'
    assert f'<a href="https://example.org" {rel}>a</a>' in html
    assert f'<a href="../lesson/2" {rel}>b</a>' in html
    assert f'<a href="mailto:t@example.org" {rel}>c</a>' in html


def test_images_keep_only_web_addresses():
    # given images from the web, the site, a mail address and a data URL
    text = (
        "![a](https://e.org/a.png) ![b](/media/b.png) "
        "![c](mailto:x@e.org) ![d](data:image/png;base64,AA)"
    )
    # when it is rendered
    html = render_markdown(text)
    # then only http(s) and relative sources survive
    assert '<img alt="a" src="https://e.org/a.png">' in html
    assert '<img alt="b" src="/media/b.png">' in html
    assert '<img alt="c">' in html
    assert '<img alt="d">' in html


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_survives(text):
    # given hostile input, alone and inside ordinary Markdown
    # when it is rendered
    alone = render_markdown(text)
    embedded = render_markdown(f"# Lesson\n\nSome text {text} more text.\n\n- item {text}")
    # then nothing executable or styled remains
    assert_harmless(alone)
    assert_harmless(embedded)


def test_hostile_corpus_at_once_never_survives():
    # given every hostile input in one document
    text = "\n\n".join(HOSTILE)
    # when it is rendered
    html = render_markdown(text)
    # then nothing executable or styled remains
    assert_harmless(html)


def test_raw_html_is_shown_as_text():
    # given raw HTML borrowing the site's own classes
    text = '<div class="modal-backdrop">x</div> <b>bold?</b>'
    # when it is rendered
    html = render_markdown(text)
    # then it is text on the page, not markup
    assert "&lt;div class=" in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert "<div" not in html


def test_input_that_looks_like_many_tags_stays_text():
    # given input on which Python-Markdown's raw-HTML parser takes quadratic time (over a
    # minute for this size), and which therefore must never reach it
    text = "<a " * 20_000
    # when it is rendered
    html = render_markdown(text)
    # then it is text
    assert html.startswith("<p>&lt;a &lt;a")


def test_inline_math_becomes_inline_mathml():
    # given inline math
    text = r"Area is $\pi r^2$."
    # when it is rendered
    html = render_markdown(text)
    # then it is MathML shown inline
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert "<msup><mi>r</mi><mn>2</mn></msup>" in html
    assert "$" not in html


def test_display_math_block_spanning_lines_becomes_block_mathml():
    # given display math over several lines, one of which looks like a heading
    text = "$$\n\\frac{a}{b}\n# c\n$$\nAfter."
    # when it is rendered
    html = render_markdown(text)
    # then it is one block of MathML, followed by the paragraph
    assert html.startswith('<div class="math-display"><math ')
    assert 'display="block"' in html
    assert "<mfrac>" in html
    assert "<h1>" not in html
    assert "<p>After.</p>" in html


def test_display_math_inside_a_paragraph_stays_in_the_paragraph():
    # given display math between words
    text = "So $$x = 1$$ holds."
    # when it is rendered
    html = render_markdown(text)
    # then the paragraph is not split
    assert html.startswith("<p>So <math ")
    assert 'display="block"' in html
    assert html.endswith(" holds.</p>")


def test_fraction_becomes_mfrac():
    # given a fraction
    # when it is rendered
    html = render_markdown(r"$\frac{a}{b}$")
    # then MathML has a fraction element
    assert "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>" in html


def test_math_survives_markdown_emphasis_and_escapes():
    # given TeX full of Markdown-looking characters
    text = r"$a_1 * b_2 * c$ and $\{1, 2\}$"
    # when it is rendered
    html = render_markdown(text)
    # then the TeX reaches the converter intact
    assert "<em>" not in html
    assert "<msub><mi>a</mi><mn>1</mn></msub>" in html
    assert '<mo stretchy="false">{</mo>' in html


def test_math_inside_code_span_stays_literal():
    # given dollars inside backticks
    # when it is rendered
    html = render_markdown(r"Write `$\frac{a}{b}$` for a fraction.")
    # then the code shows the source
    assert r"<code>$\frac{a}{b}$</code>" in html
    assert "<math" not in html


def test_math_inside_code_blocks_stays_literal():
    # given dollars in a fenced and an indented code block
    text = "```\n$x^2$ and $$y$$\n```\n\n    $z$"
    # when it is rendered
    html = render_markdown(text)
    # then neither block has math
    assert "<math" not in html
    assert "$x^2$ and $$y$$" in html
    assert "$z$" in html


def test_escaped_dollar_is_a_dollar_sign():
    # given an escaped dollar next to a would-be closing one
    # when it is rendered
    html = render_markdown(r"It costs \$5 and $x$ apples.")
    # then the escaped dollar is text and the rest is still math
    assert html.startswith("<p>It costs $5 and <math ")


@pytest.mark.parametrize(
    "text",
    ["It costs $5 and $10.", "Between $5 and $ 10.", "Prices: $5/$10", "US$ 20 and $30"],
)
def test_lone_dollars_stay_text(text):
    # given prose with dollar amounts
    # when it is rendered
    html = render_markdown(text)
    # then it is unchanged text
    assert html == f"<p>{text}</p>"


def test_invalid_latex_is_shown_as_code():
    # given TeX the converter rejects
    # when it is rendered
    html = render_markdown(r"Broken $\frac{$ here")
    # then its escaped source is shown, nothing raises
    assert html == r'<p>Broken <code class="math-error">$\frac{$</code> here</p>'


def test_invalid_display_latex_is_shown_as_code():
    # given a display block the converter rejects
    # when it is rendered
    html = render_markdown("$$\n\\frac{\n$$")
    # then its source is shown as code in the display block
    assert html == '<div class="math-display"><code class="math-error">$$\n\\frac{\n$$</code></div>'


def test_text_in_math_is_escaped():
    # given markup inside \text{}
    # when it is rendered
    html = render_markdown(r"$\text{a<b & c}$")
    # then it stays text
    assert "<mtext>a&lt;b" in html
    assert "<b" not in html


def test_chinese_text_passes_through_unchanged():
    # given Chinese prose with full-width punctuation
    text = "勾股定理：直角三角形中，两直角边的平方和等于斜边的平方（见下图）？"
    # when it is rendered
    html = render_markdown(text)
    # then the characters are untouched
    assert html == f"<p>{text}</p>"


def test_excerpt_is_plain_text_with_math_source():
    # given Markdown with markup, math and a script
    text = "# 标题\n\nThe **area** is $\\pi r^2$ and `code`."
    # when an excerpt is made
    excerpt = render_plain_excerpt(text)
    # then only the text remains, math as its TeX
    assert excerpt == "标题 The area is \\pi r^2 and code."


def test_excerpt_keeps_characters_unescaped():
    # given text with characters that HTML would escape
    # when an excerpt is made
    excerpt = render_plain_excerpt("a < b & c > d, \\$5")
    # then they are plain characters
    assert excerpt == "a < b & c > d, $5"


def test_long_excerpt_is_cut_at_a_word_boundary():
    # given a text longer than the limit
    text = "alpha beta gamma delta epsilon"
    # when an excerpt of 14 characters is made
    excerpt = render_plain_excerpt(text, length=14)
    # then it ends after a whole word with an ellipsis
    assert excerpt == "alpha beta…"


def test_long_chinese_excerpt_is_cut_between_characters():
    # given Chinese text without spaces
    text = "直角三角形中两直角边的平方和等于斜边的平方"
    # when an excerpt of 8 characters is made
    excerpt = render_plain_excerpt(text, length=8)
    # then it is cut between characters
    assert excerpt == "直角三角形中两…"


def test_short_excerpt_is_not_cut():
    # given a text within the limit
    # when an excerpt is made
    excerpt = render_plain_excerpt("Short *text*.", length=13)
    # then it is whole, without ellipsis
    assert excerpt == "Short text."


def test_excerpt_of_empty_input_is_empty():
    # given nothing
    # when an excerpt is made
    # then it is empty
    assert render_plain_excerpt("") == ""


def test_code_examples_are_highlighted_and_stay_text():
    # given code with HTML and backtick fences inside it
    source = "print('<script>')\n```\nx = 1"
    # when it is rendered as a code example
    html = render_code(source, "python")
    # then it is highlighted code, with nothing executable
    assert 'class="codehilite"' in html
    assert "language-python" in html
    assert "&lt;script&gt;" in html
    assert_harmless(html)
    assert render_code("  ") == ""
    assert 'class="language-bad"' in render_code("x", "<bad>")  # only word characters kept
