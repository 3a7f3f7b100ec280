"""Social-media exports (CSV, XLSX or JSON) as one source of posts.

Fields are found by common names: id (id, post_id, id_str, ...), author (author, user, username,
name, ...; a nested ``{"user": {"screen_name": ...}}`` works too), time (time, timestamp,
created_at, date, ...; ISO strings, other date strings read day-first, or Unix epoch numbers read
as UTC) and text (text, message, body, content, ...). Each post is rendered as
``author (YYYY-MM-DD HH:MM): text``, posts separated by a blank line; the post segment covers the
text only. Times are shown as written in the file (no time-zone conversion). A time that cannot be
read leaves the post undated and is counted in ``metadata["undated_posts"]``.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dateutil import parser as date_parser

from ingest.dispatch import resolve_kind
from ingest.errors import IngestError
from ingest.records import LoadedSource
from ingest.tables import Table, read_table
from ingest.text import TextBuilder, normalise, read_text, tidy_block

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "post_id", "postid", "id_str", "message_id", "tweet_id", "uid"),
    "author": ("author", "user", "username", "user_name", "screen_name", "name", "from", "sender", "handle"),
    "time": ("time", "timestamp", "created_at", "createdat", "date", "datetime", "created", "created_time",
             "published", "posted_at"),
    "text": ("text", "message", "body", "content", "full_text", "post", "caption"),
}
_LIST_KEYS = ("posts", "data", "items", "messages", "statuses", "results")
_NESTED_AUTHOR_KEYS = ("username", "screen_name", "handle", "name", "display_name")
_MAX_TIME_CHARS = 64


@dataclass
class Post:
    """One post as read from the export."""

    post_id: str
    author: str | None
    time: dt.datetime | None
    text: str


def field_map(keys: Sequence[str]) -> dict[str, str]:
    """Role -> the actual key/column name found for it (first alias that matches, case-insensitive)."""
    by_folded = {}
    for key in keys:
        by_folded.setdefault(key.strip().casefold(), key)
    found = {}
    for role, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_folded:
                found[role] = by_folded[alias]
                break
    return found


def looks_like_social(columns: Sequence[str]) -> bool:
    """Whether table columns look like a social export: author, time and text columns all present."""
    return {"author", "time", "text"} <= field_map(columns).keys()


def parse_time(value: object) -> dt.datetime | None:
    """A post time from an ISO or other date string (day first) or Unix epoch seconds/milliseconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if not text or len(text) > _MAX_TIME_CHARS:
        return None
    if text.isdigit():
        return parse_time(int(text))
    try:
        return date_parser.isoparse(text)
    except ValueError:
        pass
    try:
        return date_parser.parse(text, dayfirst=True)
    except (ValueError, OverflowError):
        return None


def _author(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = next((value[k] for k in _NESTED_AUTHOR_KEYS if value.get(k)), None)
    if value is None:
        return None
    return " ".join(normalise(str(value)).split()) or None


def _field(record: Mapping[str, object], role: str) -> object:
    """The value of the first alias of ``role`` that this record has and fills (keys compared case-insensitively)."""
    folded = {str(key).strip().casefold(): value for key, value in record.items()}
    for alias in ALIASES[role]:
        value = folded.get(alias)
        if value not in (None, ""):
            return value
    return None


def posts_from_records(records: Sequence[Mapping[str, object]], path: str | Path) -> list[Post]:
    """Posts from a list of objects/rows, finding each field by its aliases."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(str(key) for key in record))
    if "text" not in field_map(list(keys)):
        raise IngestError(
            path,
            f"no post text field found; expected one of {', '.join(ALIASES['text'])} "
            f"(found: {', '.join(keys) or 'nothing'})",
        )
    posts = []
    for number, record in enumerate(records, start=1):
        raw_id, text = _field(record, "id"), _field(record, "text")
        posts.append(Post(
            post_id=" ".join(normalise(str(raw_id)).split()) if raw_id is not None else str(number),
            author=_author(_field(record, "author")),
            time=parse_time(_field(record, "time")),
            text=tidy_block(normalise(str(text))) if text is not None else "",
        ))
    return posts


def build_social(posts: list[Post], path: str | Path, kind: str | None, fmt: str, encoding: str | None) -> LoadedSource:
    """Render posts as one source."""
    builder = TextBuilder()
    undated = 0
    for post in posts:
        if not post.text:
            continue
        undated += post.time is None
        builder.separate()
        author = post.author or "unknown"
        stamp = f" ({post.time:%Y-%m-%d %H:%M})" if post.time is not None else ""
        builder.add(f"{author}{stamp}: ")
        builder.add_segment(
            post.text, "post", speaker=post.author,
            entry_date=post.time.date().isoformat() if post.time is not None else None, label=post.post_id,
        )
    if not builder.segments:
        raise IngestError(path, "no posts with text found")
    metadata = {"structure": "posts", "posts": str(len(builder.segments)), "undated_posts": str(undated)}
    return LoadedSource(
        name=Path(path).name, kind=resolve_kind(kind, "social", path), text=builder.text(), format=fmt,
        segments=builder.segments, encoding=encoding, metadata=metadata,
    )


def social_from_table(table: Table, path: str | Path, kind: str | None = None) -> LoadedSource:
    """Build the social source from a CSV/XLSX table already read."""
    records = [dict(zip(table.columns, row)) for row in table.rows]
    return build_social(posts_from_records(records, path), path, kind, table.fmt, table.encoding)


def _json_records(data: object, path: str | Path) -> list[Mapping[str, object]]:
    if isinstance(data, Mapping):
        data = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), None)
        if data is None:
            raise IngestError(path, f"expected a list of posts, or an object with one of: {', '.join(_LIST_KEYS)}")
    if not isinstance(data, list):
        raise IngestError(path, "expected a list of posts (JSON objects)")
    for number, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            raise IngestError(path, f"post {number} is not a JSON object")
    return data


def load_social(path: Path, kind: str | None = None) -> list[LoadedSource]:
    """Load a social-media export from JSON, CSV or XLSX."""
    if Path(path).suffix.lower() in (".csv", ".xlsx"):
        return [social_from_table(read_table(path), path, kind)]
    text, encoding = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise IngestError(path, f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from error
    except RecursionError as error:
        raise IngestError(path, "not usable JSON: nested too deeply") from error
    return [build_social(posts_from_records(_json_records(data, path), path), path, kind, "json", encoding)]
