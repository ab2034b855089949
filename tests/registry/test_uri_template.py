"""RFC 6570 templates: expansion (levels 1-3, plus prefix and explode) and matching back."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore import UriTemplate
from mcpcore.registry.uri_template import UriTemplateError

VALUES: dict[str, Any] = {
    "var": "value",
    "hello": "Hello World!",
    "path": "/foo/bar",
    "x": "1024",
    "y": "768",
    "empty": "",
    "list": ["red", "green", "blue"],
    "keys": {"semi": ";", "dot": ".", "comma": ","},
}

# Examples from RFC 6570 §1.2 and §3.2.
EXPANSIONS = [
    ("{var}", "value"),
    ("{hello}", "Hello%20World%21"),
    ("{+var}", "value"),
    ("{+hello}", "Hello%20World!"),
    ("{+path}/here", "/foo/bar/here"),
    ("here?ref={+path}", "here?ref=/foo/bar"),
    ("X{#var}", "X#value"),
    ("X{#hello}", "X#Hello%20World!"),
    ("map?{x,y}", "map?1024,768"),
    ("{x,hello,y}", "1024,Hello%20World%21,768"),
    ("{+x,hello,y}", "1024,Hello%20World!,768"),
    ("{+path,x}/here", "/foo/bar,1024/here"),
    ("{#x,hello,y}", "#1024,Hello%20World!,768"),
    ("X{.var}", "X.value"),
    ("X{.x,y}", "X.1024.768"),
    ("{/var}", "/value"),
    ("{/var,x}/here", "/value/1024/here"),
    ("{;x,y}", ";x=1024;y=768"),
    ("{;x,y,empty}", ";x=1024;y=768;empty"),
    ("{?x,y}", "?x=1024&y=768"),
    ("{?x,y,empty}", "?x=1024&y=768&empty="),
    ("?fixed=yes{&x}", "?fixed=yes&x=1024"),
    ("{&x,y,empty}", "&x=1024&y=768&empty="),
    ("{var:3}", "val"),
    ("{list}", "red,green,blue"),
    ("{list*}", "red,green,blue"),
    ("{/list*}", "/red/green/blue"),
    ("{?list*}", "?list=red&list=green&list=blue"),
    ("{?keys*}", "?semi=%3B&dot=.&comma=%2C"),
    ("{undefined}", ""),
    ("x{?undefined}", "x"),
]


@pytest.mark.parametrize(("template", "expected"), EXPANSIONS)
def test_expansion(template: str, expected: str) -> None:
    assert UriTemplate(template).expand(VALUES) == expected


MATCHES = [
    ("test://template/{id}/data", "test://template/123/data", {"id": "123"}),
    ("test://template/{id}/data", "test://template/1/2/data", None),
    ("test://template/{id}/data", "test://other/123/data", None),
    ("file:///{+path}", "file:///etc/hosts", {"path": "etc/hosts"}),
    ("w://{city}{?days,units}", "w://paris?units=c&days=3", {"city": "paris", "days": "3", "units": "c"}),
    ("w://{city}{?days,units}", "w://paris", {"city": "paris"}),
    ("w://{city}{?days}", "w://a%20b?days=x%2Fy", {"city": "a b", "days": "x/y"}),
    ("x://{a,b}", "x://1,2", {"a": "1", "b": "2"}),
    ("x://p{/c,d}{.ext}", "x://p/one/two.txt", {"c": "one", "d": "two", "ext": "txt"}),
    ("x://p{;v}", "x://p;v=9", {"v": "9"}),
    ("x://doc{#section}", "x://doc#a/b", {"section": "a/b"}),
    ("plain://uri", "plain://uri", {}),
]


@pytest.mark.parametrize(("template", "uri", "expected"), MATCHES)
def test_matching(template: str, uri: str, expected: dict[str, str] | None) -> None:
    assert UriTemplate(template).match(uri) == expected


@pytest.mark.parametrize(
    "values",
    [{"id": "plain"}, {"id": "with space"}, {"id": "ünïcode"}, {"id": "a?c#d;e"}],
)
def test_match_inverts_simple_expansion(values: dict[str, str]) -> None:
    template = UriTemplate("test://template/{id}/data")
    assert template.match(template.expand(values)) == values


@pytest.mark.parametrize(
    ("template", "uri"),
    [
        ("files://docs/{name}", "files://docs/..%2F..%2Fetc%2Fpasswd"),
        ("files://docs/{name}", "files://docs/.."),
        ("files://docs/{name}", "files://docs/a%5Cb"),
        ("files://docs/{name}", "files://docs/a%00"),
        ("files://{/dir}", "files:///.."),
        ("files://root/{+path}", "files://root/a/../../etc"),
        ("files://root/{+path}", "files://root/a/%2E%2E/b"),
    ],
)
def test_values_that_could_walk_a_path_do_not_match(template: str, uri: str) -> None:
    assert UriTemplate(template).match(uri) is None


def test_reserved_paths_without_dot_dot_segments_still_match() -> None:
    assert UriTemplate("files://root/{+path}").match("files://root/a/b..c/d.txt") == {"path": "a/b..c/d.txt"}


def test_variables_in_order_without_duplicates() -> None:
    assert UriTemplate("x://{a}/{b}{?a,c}").variables == ("a", "b", "c")
    assert not UriTemplate("x://fixed").is_template


@pytest.mark.parametrize(
    "bad", ["x://{a", "x://a}", "x://{}", "x://{a b}", "x://{=a}", "x://{a:0}", "x://{a:x}"]
)
def test_bad_templates_are_refused(bad: str) -> None:
    with pytest.raises(UriTemplateError):
        UriTemplate(bad)
