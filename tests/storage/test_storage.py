"""The storage layer: local paths without Beam, paths with a scheme through Beam FileSystems,
and the loaders that read through it (rules, units, settings, lists, keys)."""

from __future__ import annotations

import os
import shutil

import pytest
from apache_beam.io.filesystem import FileMetadata
from apache_beam.io.localfilesystem import LocalFileSystem

from pipelines import crypto, storage


class _SchemeFileSystem(LocalFileSystem):
    """``paxtest://a/b`` is ``ROOT/a/b``: a filesystem Beam finds by scheme, as it finds gs://."""

    ROOT = "/nonexistent"

    @classmethod
    def scheme(cls):
        return "paxtest"

    def _local(self, path):  # Beam's own helpers call back with local paths: those stay
        return os.path.join(self.ROOT, path[len("paxtest://"):]) if path.startswith("paxtest://") else path

    def join(self, basepath, *paths):
        if not basepath.startswith("paxtest://"):
            return super().join(basepath, *paths)
        return "/".join([basepath.rstrip("/")] + [p.strip("/") for p in paths])

    def create(self, path, *args, **kwargs):
        return super().create(self._local(path), *args, **kwargs)

    def open(self, path, *args, **kwargs):
        return super().open(self._local(path), *args, **kwargs)

    def exists(self, path):
        return super().exists(self._local(path))

    def delete(self, paths):
        return super().delete([self._local(p) for p in paths])

    def match(self, patterns, limits=None):
        results = super().match([self._local(p) for p in patterns], limits)
        for result in results:
            result.metadata_list = [FileMetadata("paxtest://" + os.path.relpath(m.path, self.ROOT), m.size_in_bytes,
                                                 m.last_updated_in_seconds) for m in result.metadata_list]
        return results


@pytest.fixture
def remote(tmp_path):
    root = tmp_path / "remote"
    root.mkdir()
    _SchemeFileSystem.ROOT = str(root)
    return root


def test_local_read_write_match(tmp_path):
    path = str(tmp_path / "a" / "x.txt")
    storage.write_text(path, "\ufeffhello")
    assert storage.read_text(path) == "hello"  # a byte-order mark is dropped
    storage.write_bytes(path, b"again")  # replaced
    assert storage.read_bytes(path) == b"again"
    storage.write_text(str(tmp_path / "a" / "y.txt"), "y")
    assert storage.match(str(tmp_path / "a" / "*.txt")) == [path, str(tmp_path / "a" / "y.txt")]
    with pytest.raises(FileExistsError):
        storage.write_bytes(path, b"no", exclusive=True)
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(str(tmp_path / "missing"))
    assert storage.match(str(tmp_path / "nowhere" / "*")) == []


def test_local_modes(tmp_path):
    path = str(tmp_path / "secret")
    storage.write_bytes(path, b"s", mode=0o600)
    assert os.stat(path).st_mode & 0o777 == 0o600
    folder = storage.Folder(tmp_path / "audit")
    folder.create("0001.jsonl", "{}\n")
    assert os.stat(tmp_path / "audit" / "0001.jsonl").st_mode & 0o777 == 0o640
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        folder.create("0001.jsonl", "other")
    assert folder.list() == ["0001.jsonl"] and folder.read("0001.jsonl") == "{}\n"


def test_scheme_paths_go_through_beam(remote):
    assert storage.has_scheme("paxtest://x") and not storage.has_scheme("/tmp/x")
    storage.write_text("paxtest://dir/a.txt", "remote")
    assert (remote / "dir" / "a.txt").read_text() == "remote"
    assert storage.read_text("paxtest://dir/a.txt") == "remote"
    assert storage.match("paxtest://dir/*.txt") == ["paxtest://dir/a.txt"]
    assert storage.exists("paxtest://dir/a.txt") and not storage.exists("paxtest://dir/b.txt")
    with pytest.raises(FileNotFoundError, match="paxtest://dir/b.txt"):
        storage.read_bytes("paxtest://dir/b.txt")
    folder = storage.Folder("paxtest://audit", "*.jsonl")
    folder.create("0001-run.jsonl", "line\n")
    assert folder.list() == ["0001-run.jsonl"] and folder.read("0001-run.jsonl") == "line\n"
    with pytest.raises(FileExistsError):
        folder.create("0001-run.jsonl", "again")


def test_loaders_read_any_filesystem(remote, repo_root):
    from pipelines.flags.routing import load_units
    from pipelines.screening.engine.settings import load_settings
    from pipelines.screening.lists.cleared import load_cleared
    from pipelines.sharing.rules import load_rules, load_rules_and_partners

    shutil.copytree(repo_root / "rules", remote / "rules")
    assert [a.id for a in load_rules("paxtest://rules")] == [a.id for a in load_rules(repo_root / "rules")]
    assert load_rules_and_partners("paxtest://rules")[1].keys() == load_rules_and_partners(repo_root / "rules")[1].keys()
    assert load_units("paxtest://rules/jpau_units.yaml").unit_ids == load_units().unit_ids
    (remote / "settings.yaml").write_text("thresholds:\n  default: 0.91\n")
    assert load_settings("paxtest://settings.yaml").raw["thresholds"]["default"] == 0.91
    (remote / "cleared.csv").write_text("cleared_id,surname,given_names,date_of_birth\nC1,Doe,Jane,1980-01-02\n")
    assert [c.cleared_id for c in load_cleared("paxtest://cleared.csv")] == ["C1"]


def test_one_public_key_lookup_newest_generation(remote):
    first = crypto.generate_recipient_key("unit-a-1", name="unit-a")
    second = crypto.generate_recipient_key("unit-a-2", name="unit-a", generation=2)
    signer = crypto.generate_signing_key("pipeline-1", name="pipeline")
    (remote / "keys").mkdir()
    for key in (first, second, signer):
        crypto.save_public_key(key, remote / "keys" / crypto.public_key_file_name(key.key_id))
    current = crypto.current_public_keys("paxtest://keys")
    assert current[("recipient", "unit-a")].key_id == "unit-a-2"
    assert current[("signing", "pipeline")].key_id == "pipeline-1"
    assert crypto.current_public_keys(remote / "keys").keys() == current.keys()


def test_packaged_data_is_found():
    assert os.path.isfile(storage.packaged("avro_schemas", "api_manifest.avsc"))
    assert os.path.isfile(storage.packaged("default_rules", "jpau_units.yaml"))
    assert os.path.isfile(storage.packaged("screening", "data", "settings.yaml"))


def test_local_recursive_match_reads_like_beam(tmp_path, monkeypatch):
    """``**`` selects the same local files as Beam's LocalFileSystem (the batch inputs' folder
    expansion, ``in/**.avro``, relies on it); ``*`` stays within one folder."""
    from apache_beam.io.filesystems import FileSystems

    for name in ("a.avro", "sub/b.avro", "sub/deeper/c.avro", "sub/d.txt", "e.avro.bak"):
        storage.write_bytes(str(tmp_path / "in" / name), b"x")
    for pattern in (f"{tmp_path}/in/**.avro", f"{tmp_path}/in/*.avro", f"{tmp_path}/in/**", f"{tmp_path}/in/s?b/*"):
        beam = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
        assert storage.match(pattern) == beam, pattern
    assert len(storage.match(f"{tmp_path}/in/**.avro")) == 3
    monkeypatch.chdir(tmp_path)
    assert storage.match("in/**.avro") == ["in/a.avro", "in/sub/b.avro", "in/sub/deeper/c.avro"]
    assert storage.match(f"{tmp_path}/nowhere/**") == []


def test_key_folders_on_any_filesystem(remote):
    """The key CLI's listing and the review's keyring and trusted signers read key folders
    through the storage layer, remote ones too."""
    from pipelines.flags.cli_keys import list_keys
    from pipelines.review.ingest import load_keyring, load_trusted_signers

    unit = crypto.generate_recipient_key("unit-a")
    signer = crypto.generate_signing_key("pipeline")
    (remote / "keys").mkdir()
    crypto.save_private_key(unit, remote / "keys" / crypto.private_key_file_name(unit.key_id))
    for key in (unit, signer):
        crypto.save_public_key(key, remote / "keys" / crypto.public_key_file_name(key.key_id))
    assert [row["key_id"] for row in list_keys("paxtest://keys/")] == ["pipeline", "unit-a"]
    assert list_keys("paxtest://keys/") == list_keys(remote / "keys")
    assert list(load_keyring(["paxtest://keys/"])) == ["unit-a"]
    assert list(load_keyring(["paxtest://keys/" + crypto.private_key_file_name("unit-a")])) == ["unit-a"]
    assert list(load_trusted_signers(["paxtest://keys/"])) == ["pipeline"]
    with pytest.raises(crypto.KeyFileError, match="keys folder not found"):
        list_keys("paxtest://nowhere/")
