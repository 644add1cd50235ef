"""The PDF layer: fonts, CJK text, running strings, tables, bookmarks, fetching, sanitising."""

import io
import socket

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from portal.core.pdf import (
    RemoteFetchRefused,
    font_css,
    is_fetch_allowed,
    render_pdf,
    safe_url_fetcher,
    sanitize_html,
)

PORTAL_NAME_ZH = "社会组织孵化与公益创投资助平台"


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def _embedded_fonts(reader: PdfReader) -> dict[str, dict]:
    """BaseFont name → {"file_key": "/FontFile2"|..., "cmap": set of code points}."""
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            keys = [k for k in descriptor if k.startswith("/FontFile")]
            cmap = set()
            if keys:
                data = descriptor[keys[0]].get_object().get_data()
                cmap = set(TTFont(io.BytesIO(data)).getBestCmap() or {})
            fonts[str(font["/BaseFont"])] = {"file_keys": keys, "cmap": cmap}
    return fonts


def _html(body: str, title: str = "测试 Test") -> str:
    return (
        '<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>{body}</body></html>"
    )


@pytest.fixture(scope="module")
def bilingual_pdf():
    body = (
        '<div class="running"><p class="portal-name">门户 Portal</p>'
        '<p class="doc-title">双语测试 Bilingual</p></div>'
        "<h1>项目评估报告 Evaluation report</h1>"
        "<p>社区居民参与项目评估，成效让群众评判。Residents judge the results.</p>"
        "<h2>财务管理 Finances</h2><p>预算执行率 92%，堃</p>"
        '<h2 style="break-before: page">第二部分 Part two</h2><p>第二页 Page two</p>'
    )
    return render_pdf(_html(body))


def test_render_pdf_text_extracts_back_in_chinese_and_english(bilingual_pdf):
    reader = _reader(bilingual_pdf)

    text = "".join(page.extract_text() for page in reader.pages)

    assert "项目评估报告 Evaluation report" in text
    assert "社区居民参与项目评估，成效让群众评判。Residents judge the results." in text
    assert "预算执行率 92%，堃" in text


def test_render_pdf_every_glyph_comes_from_an_embedded_font(bilingual_pdf):
    reader = _reader(bilingual_pdf)
    text = "项目评估报告社区居民参与成效让群众评判财务管理预算执行率堃EvaluationResidents92%，。"

    fonts = _embedded_fonts(reader)
    covered = set().union(*(font["cmap"] for font in fonts.values()))

    assert all(font["file_keys"] in (["/FontFile2"], ["/FontFile3"]) for font in fonts.values())
    assert [c for c in text if ord(c) not in covered] == []
    assert any("Portal-CJK" in name for name in fonts)


def test_render_pdf_rare_hanzi_falls_back_to_the_system_font(bilingual_pdf):
    fonts = _embedded_fonts(_reader(bilingual_pdf))

    holders = [name for name, font in fonts.items() if ord("堃") in font["cmap"]]

    assert len(holders) == 1
    assert "WenQuanYi-Micro-Hei" in holders[0]


def test_render_pdf_running_header_and_page_footer(bilingual_pdf):
    reader = _reader(bilingual_pdf)

    pages = [page.extract_text() for page in reader.pages]

    assert len(pages) == 2
    assert "1 / 2" in pages[0]
    assert "2 / 2" in pages[1]
    assert "门户 Portal" in pages[1]
    assert "双语测试 Bilingual" in pages[1]


def test_render_pdf_headings_become_bookmarks(bilingual_pdf):
    reader = _reader(bilingual_pdf)

    outline = reader.outline
    titles = [outline[0].title] + [item.title for item in outline[1]]

    assert titles == ["项目评估报告 Evaluation report", "财务管理 Finances", "第二部分 Part two"]


def test_render_pdf_metadata_title_from_html(bilingual_pdf):
    reader = _reader(bilingual_pdf)

    assert reader.metadata.title == "测试 Test"


def test_font_css_prefers_bundled_subset_then_system_font(settings):
    settings.PDF_FONT_FAMILY = "WenQuanYi Micro Hei"

    css = font_css()

    assert '@font-face { font-family: "Portal CJK"; src: url("file://' in css
    assert "portal-cjk-gb2312.ttf" in css
    assert (
        'html { font-family: "Portal CJK", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; }'
        in css
    )
    assert font_css(bundled_font=False) == (
        'html { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; }'
    )


def test_is_fetch_allowed_only_data_and_static_files():
    from django.contrib.staticfiles import finders

    css = finders.find("portal/pdf/base.css")

    assert is_fetch_allowed("data:image/png;base64,iVBORw0KGgo=") is True
    assert is_fetch_allowed(f"file://{css}") is True
    assert is_fetch_allowed("file:///etc/passwd") is False
    assert is_fetch_allowed(f"file://{css}/../../../../../../../../etc/passwd") is False
    assert is_fetch_allowed("http://example.com/a.png") is False
    assert is_fetch_allowed("https://example.com/a.css") is False
    assert is_fetch_allowed("ftp://example.com/a.png") is False


def test_safe_url_fetcher_raises_for_remote_url():
    fetcher = safe_url_fetcher()

    with pytest.raises(RemoteFetchRefused):
        fetcher("http://example.com/tracker.png")

    assert fetcher.refused == ["http://example.com/tracker.png"]


def test_render_pdf_remote_image_is_never_fetched(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the renderer opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    fetcher = safe_url_fetcher()
    body = (
        '<p>图片 image</p><img src="http://example.com/tracker.png" alt="远程">'
        '<div style="background: url(https://example.com/bg.png)">背景</div>'
    )

    pdf = render_pdf(_html(body), fetcher=fetcher)

    assert "图片 image" in _reader(pdf).pages[0].extract_text()
    assert sorted(fetcher.refused) == [
        "http://example.com/tracker.png",
        "https://example.com/bg.png",
    ]


def test_sanitize_html_keeps_formatting_and_drops_active_content():
    dirty = (
        '<p style="color:red" onclick="x()">你好 <strong>world</strong></p>'
        "<script>alert(1)</script><style>p{}</style>"
        '<img src="http://example.com/x.png"><a href="javascript:alert(1)">bad</a>'
        '<a href="https://example.org/" target="_blank">good</a><ul><li>一</li></ul>'
        '<iframe src="http://example.com"></iframe>'
    )

    clean = sanitize_html(dirty)

    assert clean == (
        "<p>你好 <strong>world</strong></p>"
        '<a rel="noopener noreferrer">bad</a>'
        '<a href="https://example.org/" rel="noopener noreferrer">good</a><ul><li>一</li></ul>'
    )


def test_sanitize_html_none_is_empty():
    assert sanitize_html(None) == ""


def _table_html(rows: int) -> str:
    body_rows = "".join(
        f"<tr><td>{i}</td><td>行{i}开始 row-{i}-start 社区互助项目志愿服务记录，"
        f"内容较长需要换行显示以检查表格行不会被分页拆开。 row-{i}-end</td><td>{i * 3}</td></tr>"
        for i in range(rows)
    )
    return _html(
        '<table><colgroup><col style="width:10%"><col style="width:75%"><col style="width:15%">'
        "</colgroup><thead><tr><th>序号 No.</th><th>内容 Content</th><th>人数 People</th></tr>"
        f"</thead><tbody>{body_rows}</tbody></table>"
    )


@pytest.fixture(scope="module")
def long_table_pages():
    reader = _reader(render_pdf(_table_html(500)))
    return [page.extract_text() for page in reader.pages]


def test_render_pdf_long_table_grows_page_count(long_table_pages):
    short_pages = len(_reader(render_pdf(_table_html(10))).pages)

    assert short_pages == 1
    assert len(long_table_pages) > 20


def test_render_pdf_table_header_repeats_on_every_page(long_table_pages):
    assert all("序号 No." in text and "人数 People" in text for text in long_table_pages)


def test_render_pdf_table_rows_never_split_across_pages(long_table_pages):
    split = [
        i
        for i in range(500)
        if not any(f"row-{i}-start" in t and f"row-{i}-end" in t for t in long_table_pages)
    ]

    assert split == []


@pytest.fixture(scope="module")
def long_text_lines():
    token = "https://example.org/" + "a1b2c3d4e5" * 30
    zh = "社区居民参与项目评估，成效让群众评判。项目以需求为导向，服务长者、儿童与困难家庭。" * 30
    body = (
        f"<p>{zh}</p><table><colgroup><col style='width:30%'><col style='width:70%'>"
        f"</colgroup><tbody><tr><td>{token}</td><td>短 short</td></tr></tbody></table>"
    )
    text = "".join(page.extract_text() for page in _reader(render_pdf(_html(body))).pages)
    return token, text.splitlines()


def test_render_pdf_long_unbroken_token_wraps_inside_its_cell(long_text_lines):
    token, lines = long_text_lines

    pieces = [
        line
        for line in lines
        if line and " / " not in line and set(line) <= set(token + " 短short")
    ]

    assert "".join(p.replace("短 short", "").strip() for p in pieces) == token
    assert len(pieces) > 5
    assert max(len(p) for p in pieces) < 40


def test_render_pdf_cjk_lines_never_start_with_closing_punctuation(long_text_lines):
    _, lines = long_text_lines
    cjk_lines = [line for line in lines if "项目" in line or "社区" in line]

    assert len(cjk_lines) > 10
    assert [line for line in cjk_lines if line[0] in "，。、）"] == []


def test_render_pdf_data_uri_image_is_embedded():
    import base64

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    fetcher = safe_url_fetcher()

    pdf = render_pdf(_html(f'<p>图 figure</p><img src="{uri}" alt="红">'), fetcher=fetcher)

    xobjects = _reader(pdf).pages[0]["/Resources"]["/XObject"]
    images = [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]
    assert [(i["/Width"], i["/Height"]) for i in images] == [(8, 8)]
    assert fetcher.refused == []
