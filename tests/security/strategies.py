"""Hypothesis strategies for the two parsers that read what strangers send: amoCRM's webhook form
(``leads[status][0][id]=…&account[id]=…``) and the widget's JWT (``X-Auth-Token``). Besides
arbitrary bytes and text, they build near-valid input: the right keys with wrong values, huge
indexes, nested brackets, repeated keys, non-UTF-8 bytes; tokens with bad base64, the wrong number
of segments, other algorithms, non-object payloads and a valid signature over claims of the wrong
types."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote

from hypothesis import strategies as st

LOST = "143"

# -- the webhook form ---------------------------------------------------------------------------

lead_ids = st.integers(1, 2**63 - 1).map(str)
bad_numbers = st.sampled_from(["", "0", "-5", "+7", " 12", "12 ", "1e3", "0x1f", "²", "١٢٣", "𝟙𝟚", "12abc",
                               "9" * 19, "9" * 30, "NaN", "[]", "%ff"])
values = st.one_of(lead_ids, bad_numbers, st.just(LOST), st.text(max_size=12))
indexes = st.one_of(st.integers(0, 3).map(str), st.integers(10**6, 10**40).map(str), st.sampled_from(["", "-1", "x"]))
events = st.sampled_from(["status", "delete", "add", "update", "", "status][status"])
fields = st.sampled_from(["id", "status_id", "pipeline_id", "old_status_id", "", "id][0", "id][id"])


@st.composite
def form_keys(draw) -> str:
    shape = draw(st.integers(0, 5))
    if shape <= 2:
        return f"leads[{draw(events)}][{draw(indexes)}][{draw(fields)}]"
    if shape == 3:
        return draw(st.sampled_from(["account[id]", "account", "leads", "leads[status]", "account[id][x]",
                                     "[", "]", "][", "a]]b[[", "leads[[status]]][0][id]", "account[subdomain]"]))
    return draw(st.text(alphabet="[]abcdeilstu0123_", max_size=24))


@st.composite
def webhook_bodies(draw, account_id: int) -> bytes:
    """A form body as amoCRM might almost send it, from ``account_id`` or not."""
    pairs = draw(st.lists(st.tuples(form_keys(), values), max_size=8))
    if draw(st.booleans()):
        where = draw(st.integers(0, len(pairs)))
        pairs.insert(where, ("account[id]", str(account_id)))
    body = "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in pairs).encode()
    if draw(st.booleans()):
        body += b"&leads[delete][0][id]=" + draw(st.binary(max_size=6))
    return body


def well_formed(account_id: int, lost: list[int], deleted: list[int], other: list[int]) -> bytes:
    """What amoCRM sends: lost leads (143), other status changes, deletions."""
    pairs = [(f"leads[status][{i}][id]", str(lead)) for i, lead in enumerate(lost + other)]
    pairs += [(f"leads[status][{i}][status_id]", LOST if i < len(lost) else "142")
              for i in range(len(lost + other))]
    pairs += [(f"leads[delete][{i}][id]", str(lead)) for i, lead in enumerate(deleted)]
    pairs += [("account[id]", str(account_id)), ("account[subdomain]", "clinic")]
    return "&".join(f"{quote(k, safe='[]')}={v}" for k, v in pairs).encode()


# -- the widget's token -------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.text(max_size=8),
                         st.floats(allow_nan=False), st.sampled_from([1e308, -1e308, 2**63, 10**20]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
moments = st.one_of(st.integers(-(10**30), 10**30), st.floats(allow_nan=False), st.text(max_size=6), st.none(),
                    st.lists(st.integers(), max_size=2), st.sampled_from([10**30, -(10**30), 1e308, 2**64]))


@st.composite
def claims(draw, audience: str, account_id: int, subdomain: str) -> dict:
    now = int(time.time())
    out = {"iss": f"https://{subdomain}.amocrm.ru", "aud": audience, "jti": "x", "iat": now, "nbf": now,
           "exp": now + 1800, "account_id": account_id, "subdomain": subdomain, "user_id": 1}
    for name in draw(st.lists(st.sampled_from(sorted(out)), unique=True, max_size=4)):
        if draw(st.booleans()):
            del out[name]
        elif name in ("iat", "nbf", "exp"):
            out[name] = draw(moments)
        elif name == "account_id":
            out[name] = draw(st.sampled_from([str(account_id), float(account_id), True, account_id + 1, 2**70,
                                              [account_id], None]))
        else:
            out[name] = draw(json_values)
    return out


@st.composite
def tokens(draw, secret: str, audience: str, account_id: int, subdomain: str) -> str:
    """A token that is almost amoCRM's: each part may be broken."""
    header = {"alg": draw(st.sampled_from(["HS256", "HS256", "none", "None", "HS512", "RS256", "ES256", "", None, 5])),
              "typ": "JWT"}
    if draw(st.booleans()):
        header["kid"] = draw(json_values)
    payload = draw(st.one_of(claims(audience, account_id, subdomain), json_values))
    head = draw(st.one_of(st.just(b64(json.dumps(header).encode())), st.just(b64(b"[1, 2]")),
                          st.text(alphabet="!@#$%^&*()=+/.", max_size=8)))
    body = draw(st.one_of(st.just(b64(json.dumps(payload).encode())), st.just(b64(b"\xff\xfe{")),
                          st.text(alphabet="abc-_=+/", max_size=8)))
    signing_input = f"{head}.{body}"
    signature = draw(st.sampled_from(["valid", "empty", "garbage"]))
    sig = {"valid": b64(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()),
           "empty": "", "garbage": "c2lnbmF0dXJl"}[signature]
    parts = [head, body, sig]
    shape = draw(st.sampled_from(["three", "three", "two", "four", "one"]))
    return ".".join({"three": parts, "two": parts[:2], "four": [*parts, "x"], "one": parts[:1]}[shape])


ascii_text = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=120)
