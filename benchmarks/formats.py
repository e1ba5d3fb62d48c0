"""The generated chat of ingest.py written as each of the other chat formats' exporters write it.

Each writer takes a path and a message count and returns the file to read (some formats name
the chat after its folder) and the author who is "me" in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import quoteattr

MEDIA_NAME = "IMG-20190101-WA0001.jpg"


def _signal_text(text: str, two_lines: bool) -> str:
    if text == "<Media omitted>":
        return f"![{MEDIA_NAME}](./media/{MEDIA_NAME})"
    return text + ("\nand a second line" if two_lines else "")


def signal_markdown(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "Maya" / "chat.md"
    path.parent.mkdir(parents=True)
    names = ("Me", "Maya")
    with open(path, "w", encoding="utf-8") as out:
        for moment, speaker, text, two_lines in chat(count):
            stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
            out.write(f"[{stamp}] {names[speaker]}: {_signal_text(text, two_lines)}  \n\n")
    return path, "Me"


def signal_jsonl(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "Maya" / "data.json"
    path.parent.mkdir(parents=True)
    names = ("Me", "Maya")
    with open(path, "w", encoding="utf-8") as out:
        for moment, speaker, text, two_lines in chat(count):
            media = text == "<Media omitted>"
            item = {
                "date": moment.isoformat(),
                "sender": names[speaker],
                "body": ("" if media else _signal_text(text, two_lines)) + "  ",
                "quote": "",
                "sticker": None,
                "reactions": [],
                "attachments": [{"name": MEDIA_NAME, "path": f"media/{MEDIA_NAME}"}]
                if media
                else [],
                "deleted": False,
                "call": False,
                "missed": False,
            }
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path, "Me"


def _discord_author(speaker: int) -> dict:
    name = ("Anand", "Maya")[speaker]
    return {
        "id": str(712345678901234567 + speaker),
        "name": name.lower(),
        "discriminator": "0000",
        "nickname": name,
        "color": None,
        "isBot": False,
        "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png",
    }


def discord_json(folder: Path, count: int, chat) -> tuple[Path, str]:
    """Indented like DiscordChatExporter's output, with every field it writes per message."""
    path = folder / "Server - general [812345678901234567].json"
    authors = [_discord_author(0), _discord_author(1)]
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '{\n  "guild": {"id": "912345678901234567", "name": "Server", "iconUrl": ""},\n'
            '  "channel": {"id": "812345678901234567", "type": "GuildTextChat", "categoryId":'
            ' "1", "category": "Text", "name": "general", "topic": null},\n'
            '  "dateRange": {"after": null, "before": null},\n  "messages": [\n'
        )
        for number, (moment, speaker, text, two_lines) in enumerate(chat(count)):
            media = text == "<Media omitted>"
            item = {
                "id": str(1000000000000000000 + number),
                "type": "Default",
                "timestamp": moment.isoformat() + ".000+00:00",
                "timestampEdited": None,
                "callEndedTimestamp": None,
                "isPinned": False,
                "content": "" if media else text + ("\nand a second line" if two_lines else ""),
                "author": authors[speaker],
                "attachments": [{"id": "1", "url": MEDIA_NAME, "fileName": MEDIA_NAME}]
                if media
                else [],
                "embeds": [],
                "stickers": [],
                "reactions": [],
                "mentions": [],
            }
            text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            out.write(("    " if number == 0 else ",\n    ") + text)
        out.write(f'\n  ],\n  "messageCount": {count}\n}}\n')
    return path, "Anand"


def discord_csv(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "Server - general [812345678901234567].csv"
    names = ("anand#0097", "maya#4821")
    with open(path, "w", encoding="utf-8") as out:
        out.write("AuthorID,Author,Date,Content,Attachments,Reactions\n")
        for moment, speaker, text, two_lines in chat(count):
            stamp = f"{moment.month}/{moment.day}/{moment.year} {moment:%I:%M %p}".replace(
                " 0", " "
            )
            media = text == "<Media omitted>"
            content = "" if media else text + ("\nand a second line" if two_lines else "")
            attachment = MEDIA_NAME if media else ""
            content = content.replace('"', '""')
            out.write(f'"{712345678901234567 + speaker}","{names[speaker]}","{stamp}",')
            out.write(f'"{content}","{attachment}",""\n')
    return path, "anand"


def sms(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "sms-20200120183000.xml"
    with open(path, "w", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        out.write(f'<smses count="{count}" type="full">\n')
        for moment, speaker, text, two_lines in chat(count):
            body = quoteattr(text + ("\nand a second line" if two_lines else ""))
            millis = int(moment.timestamp() * 1000)
            out.write(
                f'  <sms protocol="0" address="+15550100123" date="{millis}" type="{2 - speaker}"'
                f' subject="null" body={body} toa="null" sc_toa="null" service_center="null"'
                f' read="1" status="-1" locked="0" date_sent="0" sub_id="1"'
                f' readable_date="{moment:%b %d, %Y %I:%M:%S %p}" contact_name="Maya" />\n'
            )
        out.write("</smses>\n")
    return path, "Me"


def line(folder: Path, count: int, chat) -> tuple[Path, str]:
    path = folder / "[LINE] Chat with Maya.txt"
    names = ("Anand", "Maya")
    day = None
    with open(path, "w", encoding="utf-8") as out:
        out.write("[LINE] Chat history with Maya\nSaved on: 2020/01/20 18:30\n")
        for moment, speaker, text, two_lines in chat(count):
            if moment.date() != day:
                day = moment.date()
                out.write(f"\n{moment:%Y/%m/%d(%a)}\n")
            if text == "<Media omitted>":
                text = "[Photo]"
            elif two_lines:
                text = f'"{text}\nand a second line"'
            out.write(f"{moment:%H:%M}\t{names[speaker]}\t{text}\n")
    return path, "Anand"


WRITERS: dict[str, Callable] = {
    "signal_markdown": signal_markdown,
    "signal_jsonl": signal_jsonl,
    "discord_json": discord_json,
    "discord_csv": discord_csv,
    "sms": sms,
    "line": line,
}
