"""Which of a Wyoming wake server's models is which of Heron's wake words: the server
names them its own way (wyoming-openwakeword's "ok_nabu_v0.1" is Heron's "okay_nabu")."""

from __future__ import annotations

import pytest

from assistant.wyoming.remote import RemoteFailed
from assistant.wyoming.wake_link import match_words, wake_key

# what wyoming-openwakeword 1.8.2's Describe lists (read from its Info)
OWW_MODELS = ["hey_mycroft_v0.1", "hey_jarvis_v0.1", "hey_rhasspy_v0.1", "ok_nabu_v0.1",
              "alexa_v0.1"]


def test_heron_words_find_the_servers_names() -> None:
    assert match_words(("okay_nabu", "hey_jarvis"), OWW_MODELS) == {
        "ok_nabu_v0.1": "okay_nabu", "hey_jarvis_v0.1": "hey_jarvis"}
    # another Heron lists its words as Heron names them
    assert match_words(("okay_nabu",), ["okay_nabu", "hey_jarvis"]) == {
        "okay_nabu": "okay_nabu"}
    # a word from a model file counts by its file name
    assert match_words(("/home/me/hey_heron.onnx",), ["Hey-Heron_v2"]) == {
        "Hey-Heron_v2": "/home/me/hey_heron.onnx"}


def test_a_word_the_server_lacks_is_named_with_what_it_has() -> None:
    with pytest.raises(RemoteFailed) as err:
        match_words(("okay_nabu", "computer"), OWW_MODELS)
    assert "'computer'" in str(err.value) and "ok_nabu_v0.1" in str(err.value)
    with pytest.raises(RemoteFailed, match="it has: none"):
        match_words(("okay_nabu",), [])


def test_keys_ignore_case_separators_versions_and_okay() -> None:
    assert wake_key("Okay Nabu") == wake_key("ok_nabu_v0.1") == wake_key("OK-nabu") == "ok nabu"
    assert wake_key("hey_jarvis") != wake_key("hey_mycroft")
