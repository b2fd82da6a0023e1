"""The admin HTTP server from a test: `api()` calls the REST API with a token; `Panel` is a signed-in
admin panel session over plain HTTP, for the suites that need API tokens, tenant administrators or a
session cookie. Cookies are kept by hand: the panel marks them Secure even on
loopback, so urllib's cookie jar would not send them back."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Optional


class Panel:
    def __init__(self, port: int, username: str, password: str):
        self.base = "http://127.0.0.1:%d" % port
        self.cookies: Dict[str, str] = {}

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(NoRedirect)
        page = self.fetch("/")
        self.fetch("/login", {"username": username, "password": password, "_csrf": self.csrf(page)})
        assert "centralino_session" in self.cookies, "sign-in of %s failed" % username

    def fetch(self, path: str, form: Optional[Dict[str, str]] = None) -> str:
        """GET `path`, or POST `form` to it; the page's text (a 303 after a form is not followed)."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data)
        if self.cookies:
            req.add_header("Cookie", self.cookie_header())
        try:
            resp = self.opener.open(req, timeout=10)
        except urllib.error.HTTPError as e:   # 303 after a form
            resp = e
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return resp.read().decode()

    def cookie_header(self) -> str:
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    @staticmethod
    def csrf(html: str) -> str:
        return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)

    def new_token(self, name: str) -> str:
        page = self.fetch("/tokens")
        page = self.fetch("/tokens", {"name": name, "_csrf": self.csrf(page)})
        return re.search(r"cntl_[A-Za-z0-9_-]+", page).group(0)

    def new_tenant_admin(self, tenant: str, name: str, password: str) -> None:
        page = self.fetch("/tenants/%s/admins" % tenant)
        page = self.fetch("/tenants/%s/admins" % tenant, {"name": name, "password": password, "_csrf": self.csrf(page)})
        assert "created with password" in page, page[-2000:]


def api(port: int, token: Optional[str], method: str, path: str, body=None, raw: Optional[bytes] = None) -> tuple:
    """(status, JSON body or None; the text when an error's body is not JSON). `raw` is sent as is."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, (json.loads(text) if text else None)
        except ValueError:
            return e.code, text.decode(errors="replace")
