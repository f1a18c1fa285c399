"""Opening beneath a folder with no symlink followed, with openat2 and with the walk
that replaces it where the kernel (or a seccomp filter) lacks it; and opening a path
only when a grant covers what was really opened."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from assistant.permissions import grants, safe_open
from assistant.permissions.grants import PathGrant, Refused, open_granted, parts_match
from assistant.permissions.safe_open import find_symlink, open_beneath, read_at_most

WAYS = [pytest.param(True, id="openat2"), pytest.param(False, id="walk")]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ (the folder we open beneath) with a/b/file.txt, and outside/secret.txt."""
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "file.txt").write_text("inside")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret")
    return root


def read_beneath(root: Path, rel: str, use_openat2: bool) -> str:
    dirfd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        fd = open_beneath(dirfd, rel, os.O_RDONLY, use_openat2=use_openat2)
    finally:
        os.close(dirfd)
    with os.fdopen(fd) as fh:
        return fh.read()


def refused(root: Path, rel: str, use_openat2: bool) -> int:
    with pytest.raises(OSError) as err:
        read_beneath(root, rel, use_openat2)
    return err.value.errno


def test_openat2_is_there_on_this_kernel() -> None:
    assert safe_open.openat2_works()  # Debian 12's 6.1 has it; the walk is the fallback


@pytest.mark.parametrize("use_openat2", WAYS)
def test_a_plain_path_beneath_opens(tree: Path, use_openat2: bool) -> None:
    assert read_beneath(tree, "a/b/file.txt", use_openat2) == "inside"
    assert read_beneath(tree, "a/./b//file.txt", use_openat2) == "inside"
    assert read_beneath(tree, "a/b/../b/file.txt", use_openat2) == "inside"  # stays beneath


@pytest.mark.parametrize("use_openat2", WAYS)
def test_a_symlink_in_a_middle_component_is_refused(tree: Path, use_openat2: bool) -> None:
    (tree / "mid").symlink_to(tree.parent / "outside")
    (tree / "a" / "inner").symlink_to("b")  # even one that stays inside
    assert refused(tree, "mid/secret.txt", use_openat2) == errno.ELOOP
    assert refused(tree, "a/inner/file.txt", use_openat2) == errno.ELOOP


@pytest.mark.parametrize("use_openat2", WAYS)
def test_a_symlink_as_the_last_component_is_refused(tree: Path, use_openat2: bool) -> None:
    (tree / "last.txt").symlink_to(tree.parent / "outside" / "secret.txt")  # absolute
    (tree / "rel.txt").symlink_to("../outside/secret.txt")  # relative
    for rel in ("last.txt", "rel.txt"):
        assert refused(tree, rel, use_openat2) == errno.ELOOP
    # and nothing is created through a dangling one
    (tree / "dangling.txt").symlink_to(tree.parent / "outside" / "created.txt")
    dirfd = os.open(tree, os.O_PATH | os.O_DIRECTORY)
    try:
        with pytest.raises(OSError) as err:
            open_beneath(dirfd, "dangling.txt", os.O_WRONLY | os.O_CREAT, 0o600,
                         use_openat2=use_openat2)
    finally:
        os.close(dirfd)
    assert err.value.errno == errno.ELOOP
    assert not (tree.parent / "outside" / "created.txt").exists()


@pytest.mark.parametrize("use_openat2", WAYS)
def test_dot_dot_cannot_climb_out(tree: Path, use_openat2: bool) -> None:
    assert refused(tree, "../outside/secret.txt", use_openat2) == errno.EXDEV
    assert refused(tree, "a/../../outside/secret.txt", use_openat2) == errno.EXDEV
    assert refused(tree, "/etc/passwd", use_openat2) == errno.EXDEV  # absolute: never


def test_without_openat2_the_walk_takes_over(tree: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    def no_openat2(*_args, **_kwargs):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(safe_open, "openat2", no_openat2)
    safe_open.openat2_works.cache_clear()
    try:
        assert not safe_open.openat2_works()
        (tree / "mid").symlink_to(tree.parent / "outside")
        assert read_beneath(tree, "a/b/file.txt", None) == "inside"
        assert refused(tree, "mid/secret.txt", None) == errno.ELOOP
        assert refused(tree, "../outside/secret.txt", None) == errno.EXDEV
    finally:
        safe_open.openat2_works.cache_clear()


def test_a_folder_we_may_only_pass_through_can_be_walked(tree: Path) -> None:
    (tree / "a").chmod(0o111)  # --x: no listing, but a path through it works
    try:
        assert read_beneath(tree, "a/b/file.txt", False) == "inside"
    finally:
        (tree / "a").chmod(0o755)


def test_find_symlink_names_the_first_link(tree: Path) -> None:
    (tree / "a" / "hop").symlink_to("../../outside")
    dirfd = os.open(tree, os.O_PATH | os.O_DIRECTORY)
    try:
        assert find_symlink(dirfd, "a/hop/secret.txt") == ("a", "../../outside", "secret.txt")
        assert find_symlink(dirfd, "a/b/file.txt") is None
    finally:
        os.close(dirfd)


# -- open_granted: open, then check what was opened ------------------------------------

def grant_of(folder: Path) -> list[PathGrant]:
    return [PathGrant.parse(f"{folder}/**")]


def read_granted(path: Path, grants: list[PathGrant]) -> tuple[str, str]:
    opened = open_granted(str(path), grants, os.O_RDONLY)
    with os.fdopen(opened.fd) as fh:
        return opened.path, fh.read()


def test_a_link_inside_the_grant_is_followed_by_looking_it_up_again(tree: Path) -> None:
    (tree / "short.txt").symlink_to("a/b/file.txt")
    (tree / "a" / "jump").symlink_to(tree / "a" / "b")
    assert read_granted(tree / "short.txt", grant_of(tree)) == (
        str(tree / "a" / "b" / "file.txt"), "inside")  # the real path is what was opened
    assert read_granted(tree / "a" / "jump" / "file.txt", grant_of(tree))[1] == "inside"


def test_a_link_out_of_the_grant_is_refused_naming_its_real_target(tree: Path) -> None:
    secret = tree.parent / "outside" / "secret.txt"
    (tree / "leaf.txt").symlink_to(secret)
    (tree / "a" / "mid").symlink_to("../../outside")
    for asked in (tree / "leaf.txt", tree / "a" / "mid" / "secret.txt",
                  tree / "a" / ".." / ".." / "outside" / "secret.txt"):
        with pytest.raises(Refused) as err:
            read_granted(asked, grant_of(tree))
        assert err.value.target == str(secret)


def test_a_loop_of_links_is_refused(tree: Path) -> None:
    (tree / "one").symlink_to("two")
    (tree / "two").symlink_to("one")
    with pytest.raises(Refused) as err:
        read_granted(tree / "one", grant_of(tree))
    assert "too many" in err.value.why


def test_a_file_is_created_only_beneath_the_checked_folder(tree: Path) -> None:
    outside = tree.parent / "outside"
    (tree / "out").symlink_to(outside)
    (tree / "dangling.txt").symlink_to(outside / "created.txt")
    for asked in (tree / "out" / "created.txt", tree / "dangling.txt"):
        with pytest.raises(Refused):
            open_granted(str(asked), grant_of(tree), os.O_WRONLY | os.O_CREAT)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    opened = open_granted(str(tree / "a" / "new.txt"), grant_of(tree),
                          os.O_WRONLY | os.O_CREAT)
    os.close(opened.fd)
    assert opened.path == str(tree / "a" / "new.txt") and (tree / "a" / "new.txt").exists()


@pytest.mark.parametrize("use_openat2", WAYS)
def test_a_swap_racing_the_open_never_leads_out(tree: Path, use_openat2: bool) -> None:
    """A thread keeps trading a folder of the grant for a link out (renameat2 exchange)
    while the same path is opened 2000 times: the secret is never read."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    folder, spare = tree / "a" / "b", tree / "a" / "b.swap"
    (tree / "a" / "b" / "secret.txt").write_text("inside")
    spare.symlink_to(tree.parent / "outside")
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            libc.renameat2(-100, bytes(folder), -100, bytes(spare), 2)  # RENAME_EXCHANGE

    flipper = threading.Thread(target=flip)
    flipper.start()
    seen: dict[str, int] = {}
    try:
        for _ in range(2000):
            try:
                opened = open_granted(str(folder / "secret.txt"), grant_of(tree),
                                      os.O_RDONLY, use_openat2=use_openat2)
            except (Refused, OSError) as err:
                key = type(err).__name__
            else:
                with os.fdopen(opened.fd) as fh:
                    key = fh.read()
            seen[key] = seen.get(key, 0) + 1
    finally:
        stop.set()
        flipper.join()
    assert "secret" not in seen, seen
    assert seen.get("inside") and seen.get("Refused"), seen  # both states were met


# -- the glob matcher, the grant's base, and the small helpers -----------------------

def reference_match(parts: list[str], pattern: list[str]) -> bool:
    """The matcher's meaning, written the obvious (recursive) way."""
    import fnmatch

    if not pattern:
        return not parts
    if pattern[0] == "**":
        return reference_match(parts, pattern[1:]) or (
            bool(parts) and reference_match(parts[1:], pattern))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and \
        reference_match(parts[1:], pattern[1:])


def test_the_matcher_agrees_with_its_meaning_on_random_cases() -> None:
    import random

    rng = random.Random(13)
    names, pats = ["a", "b", "ab", ".x"], ["**", "*", "a", "b", "a*", "?", "[ab]", ".*"]
    for _ in range(5000):
        parts = [rng.choice(names) for _ in range(rng.randint(0, 6))]
        pattern = [rng.choice(pats) for _ in range(rng.randint(0, 5))]
        assert parts_match(parts, pattern) == reference_match(parts, pattern), (parts, pattern)


def test_the_matcher_takes_paths_thousands_of_folders_deep() -> None:
    assert parts_match(["a"] * 2000, ("**",))
    assert parts_match(["a"] * 2000 + ["f.txt"], ("**", "*.txt"))
    assert not parts_match(["a"] * 2000, ("**", "b", "**"))


def test_a_link_on_the_way_to_the_base_is_followed_only_when_root_or_we_own_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another user who can write where a grant's base is (a sticky /tmp) must not be
    able to point the whole grant elsewhere with a link of theirs."""
    target = tmp_path / "target"
    target.mkdir()
    (target / "file.txt").write_text("where the link leads")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.symlink_to(target)
    theirs.symlink_to(target)
    trusted = PathGrant.parse(f"{ours}/**")
    assert (trusted.base_real, trusted.untrusted_link) == (str(target), "")
    assert read_granted(ours / "file.txt", [trusted]) == (str(target / "file.txt"),
                                                           "where the link leads")
    if os.geteuid() == 0:  # CI: a link really owned by another user (nobody)
        os.lchown(theirs, 65534, 65534)
    else:  # only root can give a link away: here our own uid stands for another's
        monkeypatch.setattr(grants, "owner_trusted", lambda uid: uid == 0)
    grant = PathGrant.parse(f"{theirs}/**")
    assert grant.untrusted_link == str(theirs)
    assert not grant.covers(str(target / "file.txt"))  # nothing through it is covered
    with pytest.raises(Refused) as err:
        open_granted(str(theirs / "file.txt"), [grant], os.O_RDONLY)
    assert "another user" in err.value.why
    # the same for one reached through another link (ours, or theirs as well)
    (tmp_path / "via").symlink_to("theirs")
    via = PathGrant.parse(f"{tmp_path}/via/**")
    assert via.untrusted_link and not via.covers(str(target / "file.txt"))


def test_openat2_is_tried_again_after_eagain(tree: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """RESOLVE_BENEATH says EAGAIN when a rename raced a `..`: transient, tried again."""
    real, calls = safe_open.openat2, []

    def flaky(*args, **kwargs):
        calls.append(args[1])
        if len(calls) <= failures:
            raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN), args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(safe_open, "openat2", flaky)
    failures = safe_open.EAGAIN_RETRIES
    assert read_beneath(tree, "a/../a/b/file.txt", True) == "inside"
    assert len(calls) == failures + 1
    calls.clear()
    failures = safe_open.EAGAIN_RETRIES + 1  # for good: said, not looped on
    assert refused(tree, "a/b/file.txt", True) == errno.EAGAIN


def test_read_at_most_stops_at_the_limit_or_the_end(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000  # 256 KB: several reads
    (tmp_path / "f").write_bytes(data)
    for limit in (0, 1, 65536, 100_000, len(data), len(data) + 5):
        fd = os.open(tmp_path / "f", os.O_RDONLY)
        try:
            assert read_at_most(fd, limit) == data[:limit]
        finally:
            os.close(fd)
