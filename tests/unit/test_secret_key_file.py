"""The files that hold secrets are this user's alone, and the key is made exactly once: the key
file 0600 (created exclusively: of two processes starting together one makes it and both use
it), the data directory 0700, the SQLite database and its -wal/-shm files 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from storesync.config import ConfigurationError, Settings
from storesync.db.engine import make_engine
from storesync.shop.crypto import TokenCipher


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """022, the common default: files would be world-readable unless created otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_key_file_is_private_and_made_once(tmp_path: Path, usual_umask: None) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = settings.secret_keys()
    assert settings.secret_keys() == first
    assert len(first) == 1
    assert mode(settings.secret_key_file) == 0o600
    assert mode(tmp_path / "data") == 0o700


def test_a_key_file_others_could_read_is_tightened(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    (tmp_path / "secret.key").write_text(key + "\n")
    (tmp_path / "secret.key").chmod(0o644)
    assert Settings(data_dir=tmp_path).secret_keys() == [key]
    assert mode(tmp_path / "secret.key") == 0o600


def test_a_key_file_another_process_is_still_writing_is_waited_for(tmp_path: Path) -> None:
    # The other process won the exclusive create and has not written yet.
    path = tmp_path / "secret.key"
    path.touch(mode=0o600)
    key = Fernet.generate_key().decode()
    writer = threading.Timer(0.2, lambda: path.write_text(key + "\n"))
    writer.start()
    try:
        assert Settings(data_dir=tmp_path).secret_keys() == [key]
    finally:
        writer.join()


def test_several_keys_are_read_newest_first(tmp_path: Path) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    (tmp_path / "secret.key").write_text(f"{new}\n{old}\n")
    settings = Settings(data_dir=tmp_path)
    assert settings.secret_keys() == [new, old]
    assert settings.ensure_secret_key() == f"{new},{old}"  # as STORESYNC_SECRET_KEY spells it
    assert Settings(secret_key=f" {new} , {old} ").secret_keys() == [new, old]


def test_a_key_file_with_something_else_in_it_is_refused_without_showing_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "secret.key").write_text("hunter2-not-a-key\n")
    with pytest.raises(ConfigurationError) as info:
        Settings(data_dir=tmp_path).secret_keys()
    assert "hunter2" not in str(info.value)


def test_a_running_cipher_sees_keys_rotated_by_another_process(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    cipher = TokenCipher(settings.secret_keys)  # the key source, not the keys
    old_ciphertext = cipher.encrypt("old")
    new = Fernet.generate_key().decode()
    settings.store_secret_keys([new, *settings.secret_keys()])  # what `keys rotate` writes
    rotated_elsewhere = Fernet(new.encode()).encrypt(b"rotated").decode()
    assert cipher.decrypt(rotated_elsewhere) == "rotated"
    assert cipher.decrypt(old_ciphertext) == "old"
    assert Fernet(new.encode()).decrypt(cipher.encrypt("fresh").encode()) == b"fresh"


STARTER = """
import sys, time
from pathlib import Path
from cryptography.fernet import Fernet
from storesync.config import Settings
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
settings = Settings(data_dir=sys.argv[1])
key = settings.ensure_secret_key()
print(key, Fernet(key.encode()).encrypt(sys.argv[3].encode()).decode(), flush=True)
"""


def test_processes_starting_together_on_a_fresh_data_dir_end_with_one_key(
    tmp_path: Path, usual_umask: None
) -> None:
    for round_ in range(2):  # a race: more than one try, each on a fresh directory
        data_dir, go = tmp_path / f"data{round_}", tmp_path / f"go{round_}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", STARTER, str(data_dir), str(go), f"token-{n}"],
                stdout=subprocess.PIPE,
                text=True,
            )
            for n in range(4)
        ]
        for p in procs:  # every interpreter has imported and waits at the line
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready"
        go.touch()
        answers = [p.communicate(timeout=60)[0].split() for p in procs]
        assert all(p.returncode == 0 for p in procs)
        keys = {key for key, _ in answers}
        assert len(keys) == 1, keys
        [key] = keys
        assert data_dir.joinpath("secret.key").read_text().split() == [key]
        assert mode(data_dir / "secret.key") == 0o600
        # Each process's ciphertext opens with the one key: nothing was encrypted under a lost one.
        cipher = TokenCipher(key)
        assert sorted(cipher.decrypt(c) for _, c in answers) == [f"token-{n}" for n in range(4)]


def test_sqlite_files_are_private_including_wal_and_shm(tmp_path: Path, usual_umask: None) -> None:
    db = tmp_path / "fresh" / "storesync.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:  # WAL files exist while a connection is open
            assert conn.execute(text("SELECT x FROM t")).scalar() == 1
            wal, shm = db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")
            assert wal.exists()
            assert shm.exists()
            assert {mode(db), mode(wal), mode(shm)} == {0o600}
        assert mode(db.parent) == 0o700
    finally:
        engine.dispose()


def test_an_existing_database_others_could_read_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "storesync.db"
    db.touch(mode=0o644)
    db.chmod(0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600
