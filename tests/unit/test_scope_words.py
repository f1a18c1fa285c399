"""Scopes in plain words: what every approval surface shows next to the scope itself,
so "always" never grants `shell`, `fs.read:/**` or `net:*` unseen."""

import pytest

from assistant.permissions.scope_words import is_broad, scope_words, scopes_words, spoken_scope


@pytest.mark.parametrize(("scope", "words"), [
    ("shell", "run any program (shell)"),
    ("fs.read:/**", "read every file on this computer (fs.read:/**)"),
    ("fs.write:/**", "change or delete any file on this computer (fs.write:/**)"),
    ("net:*", "connect to any host on the network (net:*)"),
    ("net:api.example.com", "connect to api.example.com over the network (net:api.example.com)"),
    ("net:*.example.com", "connect to any host under example.com over the network "
                          "(net:*.example.com)"),
    ("fs.read:~/**", "read every file in your home folder (fs.read:~/**)"),
    ("fs.write:~/notes/**", "create, change or delete any file under ~/notes "
                            "(fs.write:~/notes/**)"),
    ("fs.read:~/docs/*.txt", "read files matching ~/docs/*.txt (fs.read:~/docs/*.txt)"),
    ("fs.read:/etc/hosts", "read the file /etc/hosts (fs.read:/etc/hosts)"),
    ("clipboard.read", "read your clipboard (clipboard.read)"),
    ("screen.read", "see what is on your screen (screen.read)"),
    ("input.control", "type and click on your behalf (input.control)"),
    ("notify", "send notifications to your phone, through the internet (notify)"),
])
def test_each_scope_reads_as_what_it_lets_a_tool_do(scope, words):
    assert scope_words(scope) == words


def test_an_unknown_or_hidden_scope_is_shown_not_hidden():
    assert scope_words("teleport") == \
        "use a permission Heron does not know: teleport (teleport)"
    # a direction override cannot make the scope read as something else
    assert "\u202e" not in scope_words("fs.read:/tmp/\u202e**")
    assert "\\u202e" in scope_words("fs.read:/tmp/\u202e**")


def test_broad_scopes_are_the_ones_voice_names_even_for_a_one_time_yes():
    assert [s for s in ("shell", "fs.read:/**", "net:*", "fs.write:~/**", "net:a.example",
                        "fs.read:~/docs/**", "clipboard.read", "input.control")
            if is_broad(s)] == ["shell", "fs.read:/**", "net:*", "fs.write:~/**",
                                "input.control"]
    assert spoken_scope("shell") == "run any program"
    assert scopes_words(["shell", "shell", "notify"]) == [
        "run any program (shell)",
        "send notifications to your phone, through the internet (notify)"]


@pytest.mark.parametrize("scope", ["fs.read:/*/**", "fs.read://**", "fs.read:/./**",
                                   "fs.read:~/../../**", "fs.write:/**/*"])
def test_a_glob_that_reaches_every_file_is_broad_however_it_is_spelt(scope):
    assert is_broad(scope)
    assert spoken_scope(scope) in ("read every file on this computer",
                                   "change or delete any file on this computer")


def test_a_glob_that_reaches_the_home_folder_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "users" / "me"))
    for spelt in ("~/./**", "~/docs/../**", f"{tmp_path}/users/me/**"):
        assert is_broad(f"fs.read:{spelt}")
        assert spoken_scope(f"fs.read:{spelt}") == "read every file in your home folder"
    # more than the home folder, and named as such
    wider = f"fs.write:{tmp_path}/users/**"
    assert is_broad(wider)
    assert spoken_scope(wider) == (f"create, change or delete any file under "
                                   f"{tmp_path}/users, every file in your home folder "
                                   "included")
    assert spoken_scope("fs.read:~/../*/**") == (
        "read files matching ~/../*/**, every file in your home folder included")
    # a part of it is not broad
    assert not is_broad("fs.read:~/docs/**") and not is_broad(f"fs.read:{tmp_path}/*/*")
    # a glob the file system cannot look at is shown, not a crash
    assert scope_words("fs.read:/tmp/\0/**") == \
        "read any file under /tmp/\\u0000 (fs.read:/tmp/\\u0000/**)"
