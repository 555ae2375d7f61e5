"""Settings from files (docker and compose secrets): TECHREG_<NAME>_FILE."""

import pytest

from techreg.config import SettingsError, audit_key, load_settings


def test_a_setting_is_read_from_the_file_its_FILE_variable_names(tmp_path, monkeypatch):
    (tmp_path / "audit_key").write_text("s3cret-key\n")
    (tmp_path / "url").write_text("postgresql://techreg_app:pw@db:5432/techreg")
    monkeypatch.delenv("TECHREG_AUDIT_KEY", raising=False)
    monkeypatch.delenv("TECHREG_DATABASE_URL", raising=False)
    monkeypatch.setenv("TECHREG_AUDIT_KEY_FILE", str(tmp_path / "audit_key"))
    monkeypatch.setenv("TECHREG_DATABASE_URL_FILE", str(tmp_path / "url"))
    (tmp_path / "port").write_text("8123\n")
    monkeypatch.setenv("TECHREG_PORT_FILE", str(tmp_path / "port"))
    settings = load_settings(data_dir=tmp_path)
    # the trailing newline an editor or `echo` leaves is not part of the key
    assert audit_key(settings) == b"s3cret-key"
    assert settings.database_url == "postgresql://techreg_app:pw@db:5432/techreg"
    assert settings.port == 8123                   # cast like the variable itself
    assert not (tmp_path / "audit.key").exists()   # no key generated beside the data when one is given


def test_a_missing_secret_file_and_a_doubly_set_setting_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("TECHREG_AUDIT_KEY", raising=False)
    monkeypatch.setenv("TECHREG_AUDIT_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match="TECHREG_AUDIT_KEY_FILE=.*absent.*cannot be read"):
        load_settings()
    (tmp_path / "key").write_text("k")
    monkeypatch.setenv("TECHREG_AUDIT_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("TECHREG_AUDIT_KEY", "other")
    with pytest.raises(SettingsError, match="TECHREG_AUDIT_KEY or TECHREG_AUDIT_KEY_FILE, not both"):
        load_settings()
