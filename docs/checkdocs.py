"""Checks a built site: no broken internal link, and every public class and function documented.

    python docs/checkdocs.py docs/_build/html

Internal links are every relative ``href``/``src`` of every page (external ``http(s)`` links are
not followed: the build machine may have no network); a link's file must exist and its
``#fragment`` must be an ``id`` on that page. The reference is complete when every class and
function defined in a public module of PuzzleLib (no ``_`` in its dotted path) is in the site's
object inventory (``objects.inv``). Exits 1 listing what is wrong.
"""
import html.parser
import importlib
import inspect
import os
import pkgutil
import sys
import urllib.parse


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) is not None and not (tag == "link" and key == "href" and attrs.get("rel") == ["preconnect"]):
                self.links.append(attrs[key])


def _parse(path, cache):
    if path not in cache:
        page = _Page()
        with open(path, encoding="utf-8", errors="replace") as f:
            page.feed(f.read())
        cache[path] = page
    return cache[path]


def brokenLinks(root):
    cache, broken = {}, []
    for folder, _, files in os.walk(root):
        if os.path.relpath(folder, root).split(os.sep)[0] in ("_static", "_sources", "_images"):
            continue  # theme templates and copied sources, not pages
        for name in files:
            if not name.endswith(".html"):
                continue
            path = os.path.join(folder, name)
            for link in _parse(path, cache).links:
                parts = urllib.parse.urlsplit(link)
                if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                    continue
                target = path if not parts.path else os.path.normpath(
                    os.path.join(os.path.dirname(path), urllib.parse.unquote(parts.path)))
                if os.path.isdir(target):
                    target = os.path.join(target, "index.html")
                if not os.path.exists(target):
                    broken.append("%s: %s (no such file)" % (os.path.relpath(path, root), link))
                elif parts.fragment and target.endswith(".html") and \
                        urllib.parse.unquote(parts.fragment) not in _parse(target, cache).ids:
                    broken.append("%s: %s (no such anchor)" % (os.path.relpath(path, root), link))
    return broken


def publicObjects():
    import PuzzleLib

    names = set()
    for info in pkgutil.walk_packages(PuzzleLib.__path__, "PuzzleLib."):
        if any(part.startswith("_") for part in info.name.split(".")) or info.name.startswith("PuzzleLib.Cli"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if getattr(obj, "__module__", None) == module.__name__:
                names.add("%s.%s" % (module.__name__, name))
    return names


def documentedObjects(root):
    from sphinx.util.inventory import InventoryFile

    with open(os.path.join(root, "objects.inv"), "rb") as f:
        inventory = InventoryFile.load(f, "", os.path.join)
    names = set()
    for kind in ("py:class", "py:function", "py:exception"):
        names.update(inventory.get(kind, {}))
    return names


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "_build", "html")
    problems = ["broken link: " + b for b in brokenLinks(root)]
    problems += ["not in the API reference: " + n for n in sorted(publicObjects() - documentedObjects(root))]
    for line in problems:
        print(line)
    print("checkdocs: %d problem(s) in %s" % (len(problems), root))
    return 1 if problems else 0


if __name__ == "__main__":
    os.environ.setdefault("PUZZLELIB_BACKEND", "cpu")
    sys.exit(main(sys.argv))
