"""A local fake of WeChat's OAuth 2.0 web login, speaking its protocol.

- ``GET /connect/qrconnect`` (website QR login) and ``/connect/oauth2/authorize`` (an
  official account's web authorisation): checks ``appid``, ``response_type=code``,
  ``scope`` and ``redirect_uri``; the person who "scans and confirms" is
  ``fake.person`` (an openid in ``fake.people``): WeChat then redirects to
  ``redirect_uri?code=CODE&state=STATE``. ``fake.person = None`` is a person who
  declines: WeChat redirects with ``state`` only.
- ``GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code``:
  a code works once and for its app only; the answer carries ``access_token``,
  ``expires_in``, ``refresh_token``, ``openid``, ``scope`` and ``unionid``. Errors are
  HTTP 200 with ``errcode``/``errmsg``, as WeChat answers them (40029 invalid code,
  40125 invalid appsecret, 43001 require GET method).
- ``GET /sns/userinfo?access_token&openid``: the person's nickname (UTF-8 JSON),
  avatar, ``unionid``; 40001 for an unknown token, 40003 for an openid that is not the
  token's.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

APPID = "wx3f1c0d2b4a5e6f70"
SECRET = "9b1e5c2d7a8f4e3b6c0d1a2f3e4b5c6d"
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"
NICKNAME = "张小明"
SCOPES = {
    "/connect/qrconnect": {"snsapi_login"},
    "/connect/oauth2/authorize": {"snsapi_base", "snsapi_userinfo"},
}


class FakeWeChatOAuth:
    def __init__(self, *, appid: str = APPID, secret: str = SECRET):
        self.appid, self.secret = appid, secret
        self.people = {OPENID: {"nickname": NICKNAME, "unionid": UNIONID}}
        self.person: str | None = OPENID
        self.requests: list[dict] = []
        self.codes: dict[str, str] = {}  # code -> openid (one use)
        self.tokens: dict[str, str] = {}  # access_token -> openid
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append({"method": "GET", "path": url.path, "query": query})
                if url.path in SCOPES:
                    return self._authorize(url.path, query)
                if url.path == "/sns/oauth2/access_token":
                    return self._json(fake.access_token(query))
                if url.path == "/sns/userinfo":
                    return self._json(fake.userinfo(query))
                return self._json({"errcode": 404, "errmsg": "not found"}, code=404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                url = urlparse(self.path)
                fake.requests.append({"method": "POST", "path": url.path, "body": body})
                self._json({"errcode": 43001, "errmsg": "require GET method"})

            def _authorize(self, path, query):
                error = fake.authorize_error(path, query)
                if error:
                    raw = error.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                params = {"state": query.get("state", "")}
                if fake.person is not None:
                    code = secrets.token_hex(16)
                    fake.codes[code] = fake.person
                    params = {"code": code, **params}
                self.send_response(302)
                self.send_header("Location", f"{query['redirect_uri']}?{urlencode(params)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _json(self, payload, code=200):
                raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # --- the protocol ------------------------------------------------------------------

    def authorize_error(self, path: str, query: dict) -> str:
        """WeChat shows an error page (no redirect) for a request it cannot serve."""
        if query.get("appid") != self.appid:
            return "<p>参数错误 (appid)</p>"
        if query.get("response_type") != "code":
            return "<p>参数错误 (response_type)</p>"
        if query.get("scope") not in SCOPES[path]:
            return "<p>Scope 参数错误或没有 Scope 权限</p>"
        if not query.get("redirect_uri", "").startswith(("http://", "https://")):
            return "<p>redirect_uri 参数错误</p>"
        return ""

    def access_token(self, query: dict) -> dict:
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        openid = self.codes.pop(query.get("code", ""), None)
        if openid is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        token = secrets.token_hex(24)
        self.tokens[token] = openid
        return {
            "access_token": token,
            "expires_in": 7200,
            "refresh_token": secrets.token_hex(24),
            "openid": openid,
            "scope": "snsapi_login",
            "unionid": self.people[openid]["unionid"],
        }

    def userinfo(self, query: dict) -> dict:
        openid = self.tokens.get(query.get("access_token", ""))
        if openid is None:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
        if query.get("openid") != openid:
            return {"errcode": 40003, "errmsg": "invalid openid"}
        person = self.people[openid]
        return {
            "openid": openid,
            "nickname": person["nickname"],
            "sex": 0,
            "province": "广东",
            "city": "深圳",
            "country": "中国",
            "headimgurl": "https://thirdwx.qlogo.cn/mmopen/g3MonUZtNHkdmzicIlibx6iaFqAc56vxLSUfpb6n5WKSYVY0ChQKkiaJSgQ1dZuTOgvLLrhJbERQQ4eMsv84eavHiaiceqxibJxCfHe/0",
            "privilege": [],
            "unionid": person["unionid"],
        }

    def calls(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]
