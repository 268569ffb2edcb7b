"""A report page's DOM as headless Chromium built it (`chromium --dump-dom`), read by the browser
tests (browser_lib.sh): the plotted points by chart group, the table ids and the link targets."""
from html.parser import HTMLParser


class ChartDom(HTMLParser):
    """points: {group id: {data-label: the circle's attributes}} for the circles of class "point"
    inside <g id="tradeoff-..."> or <g id="sweep-...">; tables: ids; links: hrefs."""

    def __init__(self):
        super().__init__()
        self.group, self.points, self.tables, self.links = None, {}, set(), set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "g" and a.get("id", "").startswith(("tradeoff-", "sweep-")):
            self.group = a["id"]
        if tag == "table" and "id" in a:
            self.tables.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.add(a["href"])
        if tag == "circle" and "point" in a.get("class", "").split():
            self.points.setdefault(self.group, {})[a["data-label"]] = a

    def handle_endtag(self, tag):
        if tag == "g":
            self.group = None


def parse(path):
    dom = ChartDom()
    with open(path) as f:
        dom.feed(f.read())
    return dom
