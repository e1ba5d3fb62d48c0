"""WhatsApp's own lines in the export's language: placeholders, notices and group events.

Android writes group events without an author ("Maya added Ravi"), which the line parser already
reads as system lines. Some lines still look like "NAME: text": placeholders written in a
person's name ("<Media omitted>"), a subject containing ": ", and iOS exports that lost their
invisible marks, where the chat itself (the group's name, or the contact in a one-to-one chat)
"writes" the encryption notice and the group events. This module tells those apart from people,
in English, Spanish, Portuguese, German, French, Italian, Dutch, Russian, Turkish, Indonesian,
Hindi and Arabic.
"""

from __future__ import annotations

import re


def _set(text: str) -> frozenset[str]:
    return frozenset(line.strip() for line in text.strip().splitlines())


# Placeholders written in the sender's name (Android's in <>, iOS's "image omitted"; "null" is
# what some Android versions write for a view-once photo): matched whole, on the fast path.
MEDIA_TEXTS = _set(
    """
    <Media omitted>
    <Multimedia omitido>
    <Mídia oculta>
    <Arquivo de mídia oculto>
    <Medien ausgelassen>
    <Médias omis>
    <Media omessi>
    <Media weggelaten>
    <Без медиафайлов>
    <Мультимедиа опущено>
    <Medya dahil edilmedi>
    <Media tidak disertakan>
    <मीडिया के बिना>
    <मीडिया छोड़ दिया गया>
    <الوسائط محذوفة>
    <تم استبعاد الوسائط>
    image omitted
    video omitted
    audio omitted
    sticker omitted
    GIF omitted
    document omitted
    Contact card omitted
    imagen omitida
    video omitido
    audio omitido
    sticker omitido
    Bild weggelassen
    Video weggelassen
    Audio weggelassen
    Sticker weggelassen
    image absente
    vídeo omitido
    imagem ocultada
    null
    """
)
SYSTEM_TEXTS = _set(
    """
    This message was deleted
    You deleted this message
    This message was deleted.
    You deleted this message.
    Missed voice call
    Missed video call
    Se eliminó este mensaje.
    Eliminaste este mensaje.
    Llamada de voz perdida
    Videollamada perdida
    Mensagem apagada
    Essa mensagem foi apagada
    Esta mensagem foi apagada
    Você apagou esta mensagem
    Chamada de voz perdida
    Chamada de vídeo perdida
    Diese Nachricht wurde gelöscht.
    Du hast diese Nachricht gelöscht.
    Verpasster Sprachanruf
    Verpasster Videoanruf
    Ce message a été supprimé
    Vous avez supprimé ce message
    Ce message a été supprimé.
    Vous avez supprimé ce message.
    Appel vocal manqué
    Appel vidéo manqué
    Questo messaggio è stato eliminato
    Hai eliminato questo messaggio
    Chiamata vocale persa
    Videochiamata persa
    Dit bericht is verwijderd
    Je hebt dit bericht verwijderd
    Gemiste spraakoproep
    Gemiste video-oproep
    Данное сообщение удалено
    Вы удалили данное сообщение
    Пропущенный аудиозвонок
    Пропущенный видеозвонок
    Bu mesaj silindi
    Bu mesajı sildiniz
    Cevapsız sesli arama
    Cevapsız görüntülü arama
    Pesan ini telah dihapus
    Anda menghapus pesan ini
    Panggilan suara tak terjawab
    Panggilan video tak terjawab
    यह संदेश हटा दिया गया था
    आपने यह संदेश हटा दिया
    मिस्ड वॉइस कॉल
    मिस्ड वीडियो कॉल
    تم حذف هذه الرسالة
    لقد حذفت هذه الرسالة
    مكالمة صوتية فائتة
    مكالمة فيديو فائتة
    """
)
# The end-to-end encryption notice opens every export; its wording changed over the years, so
# it is known by the words every version shares.
ENCRYPTION_RE = re.compile(
    r"end-to-end|Ende-zu-Ende|extremo a extremo|ponta a ponta|de bout en bout"
    r"|сквозным шифрованием|uçtan uca|एंड-टू-एंड|تام بين الطرفين|مشفرة",
    re.I,
)
# Events that always quote the group's subject: created, renamed.
SUBJECT_EVENT_RE = re.compile(
    r"created group|changed the (?:subject|group name)|creó el grupo|cambió el (?:asunto|nombre)"
    r"|criou o grupo|mudou o (?:assunto|nome)|hat die Gruppe|hat den (?:Betreff|Gruppennamen)"
    r"|a créé le groupe|a (?:modifié|changé) le (?:sujet|nom)|ha creato il gruppo"
    r"|ha (?:cambiato|modificato) (?:l.oggetto|il nome)|heeft groep|heeft (?:het onderwerp|de"
    r" groepsnaam)|создал\S* группу|изменил\S* (?:тему|название)|grubunu oluşturdu"
    r"|olarak değiştirdi|membuat grup|mengubah (?:subjek|nama grup)|ग्रुप बनाया|बदलकर"
    r"|أنشأ|أنشأت|غيّر|غير الموضوع"
)
QUOTES = frozenset('"“”«»„')
# Events the chat itself announces (who joined, left, was added or removed, icon and
# description changes, security codes): only believed of an author who has so far only written
# system lines, as people write these words too.
EVENT_RE = re.compile(
    r" added |added you| removed | left$|joined using|changed this group's|changed the group"
    r"|security code|añadió|agregó|salió|eliminó a|se unió|adicionou|saiu$|removeu|entrou"
    r"|hinzugefügt|verlassen|entfernt|beigetreten|a ajouté|vous a ajouté|est parti|a retiré"
    r"|a rejoint|ha aggiunto|ti ha aggiunto|è uscit|ha rimosso|si è unit|toegevoegd|verlaten"
    r"|verwijderd|добавил|вышел|удалил|присоединил|ekledi|ayrıldı|çıkardı|katıldı"
    r"|menambahkan|keluar|mengeluarkan|bergabung|जोड़ा|छोड़|हटाया|शामिल|أضاف|غادر|أزال|انضم"
)


def is_notice(text: str, rest: str) -> bool:
    """Whether a line is certainly WhatsApp's, whoever it is written as: a placeholder, the
    encryption notice, or a group being created or renamed (`rest` is the whole line after the
    header, as a subject may hold ": ")."""
    if text in SYSTEM_TEXTS or text in MEDIA_TEXTS or ENCRYPTION_RE.search(text):
        return True
    return bool(SUBJECT_EVENT_RE.search(rest)) and not QUOTES.isdisjoint(rest)


class Speakers:
    """Who writes in an export. `people` have written at least one line of their own; an
    author whose every line so far is WhatsApp's is the chat's own voice, and group events in
    that voice are system lines too."""

    def __init__(self):
        self.people: set[str] = set()
        self.voices: set[str] = set()

    def is_system(self, author: str, text: str, rest: str) -> bool:
        """For a text line of an author not yet among `people`; adds them when it is theirs."""
        if is_notice(text, rest) or (author in self.voices and EVENT_RE.search(text)):
            self.voices.add(author)
            return True
        self.voices.discard(author)
        self.people.add(author)
        return False
