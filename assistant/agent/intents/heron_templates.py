"""Heron's own sentence templates (hassil syntax, our phrasing) for what the pinned
`home_assistant_intents` package lacks: reading a list (no intent in any language) and
removing a list item in Arabic. Merged into the package's data for that language, so the
package's expansion rules and our `{name}` list of list names apply to them too. Also
more ways to say "never mind" in English ("forget it", "disregard that")."""

from __future__ import annotations

import copy
from typing import Any

READ_LIST = "HeronReadList"
_SHOPPING = {"name": "shopping list"}
_TODO = {"name": "to-do list"}


def _block(sentences: list[str], slots: dict[str, str] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"sentences": sentences}
    if slots:
        block["slots"] = dict(slots)  # a fixed list name: "Einkaufsliste" is our shopping list
    return block


# intent → language → data blocks, as in the package's JSON.
HERON_INTENTS: dict[str, dict[str, list[dict[str, Any]]]] = {
    READ_LIST: {
        "en": [_block([
            "(what's|what is|what are|whats) [the things] (on|in|inside) [my|the|our] {name} "
            "[list]",
            "(read|show|tell) [me] [(my|the|our)] {name} [list]",
            "read [me] what's (on|in) [my|the|our] {name} [list]",
            "what do I have (on|in) [my|the|our] {name} [list]",
            "[i (can't|cannot|don't) remember] what [do|did] I [still] (need|have) to (buy|get)",
            "what I (need|have) [still] to (buy|get)",
        ])],
        "de": [
            _block([
                "was steht auf (meiner|unserer|der) Einkaufsliste",
                "was (ist|steht) (auf|in) (meiner|unserer|der) Einkaufsliste [drauf]",
                "(lies|lese) [mir] (meine|unsere|die) Einkaufsliste vor",
                "zeig[e] [mir] (meine|unsere|die) Einkaufsliste",
                "was muss ich einkaufen",
            ], _SHOPPING),
            _block([
                "was steht auf (meiner|unserer|der) (To-do-Liste|Todo-Liste|Aufgabenliste)",
                "(lies|lese) [mir] (meine|unsere|die) (To-do-Liste|Todo-Liste|Aufgabenliste) "
                "vor",
            ], _TODO),
        ],
        "fr": [
            _block([
                "qu'y a-t-il (sur|dans) (ma|la|notre) liste de courses",
                "qu'est-ce qu'il y a (sur|dans) (ma|la|notre) liste de courses",
                "(lis|lis-moi|lire) (ma|la|notre) liste de courses",
                "qu'est-ce que je dois acheter",
            ], _SHOPPING),
            _block([
                "qu'y a-t-il (sur|dans) (ma|la|notre) liste de (tâches|choses à faire)",
                "(lis|lis-moi|lire) (ma|la|notre) liste de (tâches|choses à faire)",
            ], _TODO),
        ],
        "es": [
            _block([
                "(qué|que) hay en (mi|la|nuestra) lista (de la compra|de compras|del súper)",
                "(qué|que) tengo en (mi|la|nuestra) lista (de la compra|de compras)",
                "(lee|léeme|leeme) (mi|la|nuestra) lista (de la compra|de compras)",
                "(qué|que) (tengo|necesito) que comprar",
            ], _SHOPPING),
            _block([
                "(qué|que) hay en (mi|la|nuestra) lista de (tareas|pendientes)",
                "(lee|léeme|leeme) (mi|la|nuestra) lista de (tareas|pendientes)",
            ], _TODO),
        ],
        "ar": [
            _block([
                "(ما هي|ماهي|ما هى) (قائمة|لائحة) (التسوق|التسوّق|المشتريات)",
                "(ماذا|ما الذي) (يوجد|في) (في|على) (قائمة|لائحة) (التسوق|التسوّق|المشتريات)",
                "(اقرأ|إقرأ|اقرا) [لي] (قائمة|لائحة) (التسوق|التسوّق|المشتريات)",
                "(اعرض|أعرض) [لي] (قائمة|لائحة) (التسوق|التسوّق|المشتريات)",
            ], _SHOPPING),
            _block([
                "(ما هي|ماهي|ما هى) (قائمة|لائحة) المهام",
                "(اقرأ|إقرأ|اقرا) [لي] (قائمة|لائحة) المهام",
            ], _TODO),
        ],
    },
    "HassListRemoveItem": {
        "ar": [
            _block([
                "(احذف|إحذف|امسح|امحُ|أزل|ازل) {todo_list_item:item} من (قائمة|لائحة) "
                "(التسوق|التسوّق|المشتريات)",
            ], _SHOPPING),
            _block([
                "(احذف|إحذف|امسح|أزل|ازل) {todo_list_item:item} من (قائمة|لائحة) المهام",
            ], _TODO),
        ],
    },
}


# More ways to say what an intent of the package means, added to its own sentences.
HERON_MORE: dict[str, dict[str, list[dict[str, Any]]]] = {
    "HassNevermind": {
        "en": [_block([
            "[oh|ah|och|no|ok|okay|actually] [just] (forget (it|that|about it|[that] i asked|"
            "what i (said|asked))|leave it|don't bother|(disregard|ignore|scratch) "
            "(that|my previous|the previous|my last) [request]|don't worry [about it]|no worries|"
            "nvm|never mind [that|then|it]) [please|then|thanks]",
        ])],
    },
}


def with_heron_templates(language: str, data: dict[str, Any]) -> dict[str, Any]:
    """The package's data for `language` plus our templates for intents it lacks there
    and our further sentences for some it has (a copy: the package's own dict stays as
    it was)."""
    have = data.get("intents", {})
    ours = {intent: by_lang[language] for intent, by_lang in HERON_INTENTS.items()
            if language in by_lang and intent not in have}
    more = {intent: by_lang[language] for intent, by_lang in HERON_MORE.items()
            if language in by_lang and intent in have}
    if not ours and not more:
        return data
    merged = dict(data)
    merged["intents"] = dict(data.get("intents", {}))
    merged["lists"] = dict(data.get("lists", {}))
    # The item slot our Arabic removal names: the package's wildcard list when it has one.
    merged["lists"].setdefault("todo_list_item", {"wildcard": True})
    for intent, blocks in ours.items():
        merged["intents"][intent] = {"data": copy.deepcopy(blocks)}
    for intent, blocks in more.items():
        own = merged["intents"][intent]
        merged["intents"][intent] = {**own, "data": [*own["data"], *copy.deepcopy(blocks)]}
    return merged
