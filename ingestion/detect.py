"""Choosing the parser for each document from its content, never from its name."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from .errors import UnsupportedFormat
from .formats import (
    chitchat,
    convai2,
    csv_log,
    discord_csv,
    discord_json,
    google_chat,
    imessage,
    line_chat,
    messenger,
    signal,
    slack,
    sms_backup,
    telegram_html,
    telegram_json,
    whatsapp,
    x_archive,
    yaml_corpus,
)
from .sources import Document

# Most specific first: WhatsApp iOS lines start with "[" like JSON does; Signal's Markdown
# lines would pass for WhatsApp iOS lines, and DiscordChatExporter's CSV for a CSV message log.
FORMATS: tuple[ModuleType, ...] = (
    signal,
    line_chat,
    whatsapp,
    telegram_html,
    discord_json,
    telegram_json,
    messenger,
    x_archive,
    google_chat,
    slack,
    imessage,
    chitchat,
    convai2,
    sms_backup,
    yaml_corpus,
    discord_csv,
    csv_log,
)
FORMAT_NAMES = {
    "whatsapp": "WhatsApp chat export (.txt/.zip)",
    "convai2": "ConvAI2 JSON",
    "chitchat": "chitchat-dataset JSON (general corpus)",
    "yaml": "YAML corpus (chatterbot-corpus or notebook list layout)",
    "telegram_html": "Telegram Desktop HTML",
    "telegram_json": "Telegram Desktop JSON",
    "messenger": "Facebook Messenger / Instagram JSON",
    "signal": "Signal Desktop chat (signal-export chat.md/data.json)",
    "line": "LINE chat history (.txt)",
    "discord_json": "Discord JSON (DiscordChatExporter)",
    "discord_csv": "Discord CSV (DiscordChatExporter)",
    "sms": "SMS Backup & Restore XML (Android)",
    "x_archive": "X (Twitter) archive direct messages (.zip/data/*.js)",
    "google_chat": "Google Chat from Google Takeout (messages.json)",
    "slack": "Slack workspace export (.zip)",
    "imessage": "iMessage text from imessage-exporter (.txt)",
    "csv": "CSV message log or pairs",
}


def tried() -> str:
    return ", ".join(FORMAT_NAMES[module.FORMAT] for module in FORMATS)


def detect(doc: Document) -> ModuleType | None:
    head = doc.head()
    for module in FORMATS:
        if module.looks_like(head):
            return module
    return None


def _unit_of(module: ModuleType, name: str) -> str:
    """Which files of a multi-file format belong together: those of one folder, unless the
    format spans a whole archive (a Slack workspace: its users and its channel folders)."""
    archive_root = getattr(module, "archive_root", None)
    return archive_root(name) if archive_root else name.rpartition("/")[0]


def group_documents(
    documents: Sequence[Document], label: str
) -> list[tuple[ModuleType, list[Document]]]:
    """Pair each readable document with its parser; formats spread over pages stay together."""
    units: list[tuple[ModuleType, list[Document]]] = []
    grouped: dict[tuple[str, str], list[Document]] = {}
    for doc in documents:
        module = detect(doc)
        if module is None:
            continue
        if getattr(module, "MULTI_PAGE", False):
            key = (module.FORMAT, _unit_of(module, doc.name))
            if key not in grouped:
                grouped[key] = []
                units.append((module, grouped[key]))
            grouped[key].append(doc)
        else:
            units.append((module, [doc]))
    if not units:
        raise UnsupportedFormat(f"{label}: unsupported file; formats tried: {tried()}")
    return units
