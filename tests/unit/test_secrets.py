"""The secret store: the 0600 file fallback for real, which keyring backends count as
real ones, and the keyring path with a real file-backed keyring backend."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from keyring.backends import chainer, fail, null

from assistant.paths import resolve_paths
from assistant.secrets import (
    SecretError,
    SecretStore,
    default_keyring,
    keyring_service,
    usable_keyring,
)

REPO = Path(__file__).resolve().parents[2]
VALUE = "sk-test-4f1c9e0d7a"  # stands in for an API key; must never reach the logs


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_fallback_round_trip_with_private_permissions(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = SecretStore(tmp_path, use_keyring=False)
    assert store.backend == f"file (0600) in {tmp_path / 'secrets'}"
    assert store.get("llm-api-key") is None
    store.set("llm-api-key", VALUE)
    assert store.get("llm-api-key") == VALUE
    assert mode(tmp_path / "secrets") == 0o700
    assert mode(tmp_path / "secrets" / "llm-api-key") == 0o600
    store.set("llm-api-key", VALUE + "-rotated")  # replaced atomically: no temp files left
    assert store.get("llm-api-key") == VALUE + "-rotated"
    assert sorted(p.name for p in (tmp_path / "secrets").iterdir()) == ["llm-api-key"]
    store.delete("llm-api-key")
    store.delete("llm-api-key")  # forgetting twice is fine
    assert store.get("llm-api-key") is None
    assert VALUE not in caplog.text


def test_a_secret_file_opened_up_by_hand_is_made_private_again(tmp_path):
    store = SecretStore(tmp_path, use_keyring=False)
    store.set("companion-signing-key", VALUE)
    path = tmp_path / "secrets" / "companion-signing-key"
    os.chmod(path, 0o644)
    os.chmod(tmp_path / "secrets", 0o755)
    assert store.get("companion-signing-key") == VALUE
    assert mode(path) == 0o600
    store.set("other", "x")
    assert mode(tmp_path / "secrets") == 0o700


@pytest.mark.parametrize("name", ["", "../audit", "UPPER", "a/b", "x" * 65])
def test_bad_secret_names_are_refused(tmp_path, name):
    with pytest.raises(SecretError) as err:
        SecretStore(tmp_path, use_keyring=False).get(name)
    assert err.value.code == "secrets.bad_name"


def test_empty_values_are_refused(tmp_path):
    with pytest.raises(SecretError) as err:
        SecretStore(tmp_path, use_keyring=False).set("llm-api-key", "")
    assert err.value.code == "secrets.bad_value"


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_placeholder_keyrings_fall_back_to_files(tmp_path, backend):
    assert not usable_keyring(backend, chosen=True)
    store = SecretStore(tmp_path, keyring_backend=backend)
    assert not store.uses_keyring and store.backend.startswith("file (0600)")
    store.set("audit-hmac-key", VALUE)
    assert (tmp_path / "secrets" / "audit-hmac-key").read_text() == VALUE


def test_a_chainer_counts_only_when_it_chains_a_recommended_backend():
    chain = chainer.ChainerBackend()
    recommended = [b for b in chain.backends if b.priority >= 1]
    assert usable_keyring(chain) == bool(recommended)


def test_the_keyring_package_choice_is_followed(tmp_path):
    """PYTHON_KEYRING_BACKEND is how users and CI pick a backend; the placeholder one
    must still land in the file store."""
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from assistant.secrets import SecretStore
        s = SecretStore(Path(sys.argv[1]))
        s.set("llm-api-key", "v")
        print(s.backend)
    """)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == f"file (0600) in {tmp_path / 'secrets'}"
    assert (tmp_path / "secrets" / "llm-api-key").read_text() == "v"


GET_OR_CREATE = textwrap.dedent("""
    import secrets, sys
    from pathlib import Path
    from assistant.secrets import SecretStore
    value, created = SecretStore(Path(sys.argv[1]), use_keyring=False).get_or_create(
        "companion-signing-key", lambda: secrets.token_hex(16))
    print(value)
""")


def test_first_runs_at_once_agree_on_one_created_secret(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", GET_OR_CREATE, str(tmp_path)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    values = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(values) == 1 and len(values.pop()) == 32


@pytest.fixture
def plaintext_keyring(tmp_path):
    """keyrings.alt's file-backed keyring: a real backend that needs no desktop session
    (a test dependency; the OS keyrings need D-Bus and a secret service)."""
    from keyrings.alt.file import PlaintextKeyring  # the [test] extra installs it

    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    return backend


def test_a_real_keyring_backend_is_used_when_available(tmp_path, plaintext_keyring, caplog):
    caplog.set_level(logging.DEBUG)
    assert usable_keyring(plaintext_keyring, chosen=True)
    assert not usable_keyring(plaintext_keyring)  # detected alone it would not be used
    store = SecretStore(tmp_path, keyring_backend=plaintext_keyring)
    assert store.uses_keyring
    assert store.backend == "keyring (keyrings.alt.file.PlaintextKeyring)"
    store.set("llm-api-key", VALUE)
    assert plaintext_keyring.get_password(store.service, "llm-api-key") == VALUE
    assert not (tmp_path / "secrets" / "llm-api-key").exists()
    assert SecretStore(tmp_path, keyring_backend=plaintext_keyring).get("llm-api-key") == VALUE
    store.delete("llm-api-key")
    assert plaintext_keyring.get_password(store.service, "llm-api-key") is None
    assert VALUE not in caplog.text


def test_each_data_dir_keeps_its_own_secrets_in_one_keyring(tmp_path, plaintext_keyring):
    """Two Herons of one user (HERON_HOME) never share an audit key or chain anchor; the
    default data dir keeps the service name earlier versions used."""
    a = SecretStore(tmp_path / "a", keyring_backend=plaintext_keyring)
    b = SecretStore(tmp_path / "b", keyring_backend=plaintext_keyring)
    a.set("audit-anchor", "chain of a")
    assert b.get("audit-anchor") is None
    b.set("audit-anchor", "chain of b")
    assert a.get("audit-anchor") == "chain of a" and a.service != b.service
    assert keyring_service(resolve_paths({}).data_dir) == "heron"


def test_a_named_backend_wins_even_after_keyring_picked_another(tmp_path, monkeypatch):
    """keyring.get_keyring() keeps its first pick for the whole process; the backend
    named in PYTHON_KEYRING_BACKEND afterwards must still be the one used."""
    import keyring

    keyring.get_keyring()  # whatever this process picked first
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    backend, chosen = default_keyring()
    assert isinstance(backend, fail.Keyring) and chosen
    assert not SecretStore(tmp_path).uses_keyring  # "fail" named: the 0600 files


def test_file_secrets_move_into_a_keyring_that_appears_later(tmp_path, plaintext_keyring):
    SecretStore(tmp_path, use_keyring=False).set("audit-hmac-key", VALUE)
    store = SecretStore(tmp_path, keyring_backend=plaintext_keyring)
    assert store.get("audit-hmac-key") == VALUE
    assert plaintext_keyring.get_password(store.service, "audit-hmac-key") == VALUE
    assert not (tmp_path / "secrets" / "audit-hmac-key").exists()


DETECT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from assistant.secrets import SecretStore
    s = SecretStore(Path(sys.argv[1]))
    s.set("llm-api-key", sys.argv[2])
    print(s.backend)
""")


def detect(tmp_path: Path, **env: str) -> str:
    full = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg"),
            "XDG_CONFIG_HOME": str(tmp_path / "xdgc"), **env}
    full.pop("PYTHON_KEYRING_BACKEND", None) if "PYTHON_KEYRING_BACKEND" not in env else None
    return subprocess.run([sys.executable, "-c", DETECT, str(tmp_path / "data"), VALUE],
                          cwd=REPO, env=full, capture_output=True, text=True, timeout=60,
                          check=True).stdout.strip()


def test_a_detected_plaintext_keyring_loses_to_private_files_unless_chosen(tmp_path,
                                                                           plaintext_keyring):
    """keyrings.alt's PlaintextKeyring is viable (priority 0.5) but not a real keyring:
    detected on its own it is passed over; named in PYTHON_KEYRING_BACKEND it is used."""
    assert detect(tmp_path) == f"file (0600) in {tmp_path / 'data' / 'secrets'}"
    chosen = detect(tmp_path, PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    assert chosen == "keyring (keyrings.alt.file.PlaintextKeyring)"
    cfg = tmp_path / "xdg" / "python_keyring" / "keyring_pass.cfg"
    plaintext_keyring.file_path = str(cfg)
    service = SecretStore(tmp_path / "data", use_keyring=False).service
    assert plaintext_keyring.get_password(service, "llm-api-key") == VALUE
