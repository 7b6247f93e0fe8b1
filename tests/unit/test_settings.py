import pytest

from erp.app.settings import SettingsError, load_settings


def test_defaults_and_generated_secret_is_kept(tmp_path):
    env = {"ERP_DATA_DIR": str(tmp_path)}
    first = load_settings(env)
    assert first.database_url is None
    assert first.timezone == "Europe/Moscow"
    assert (first.host, first.port) == ("127.0.0.1", 8000)
    assert len(first.secret_key) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings(env).secret_key == first.secret_key


def test_environment_wins(tmp_path):
    s = load_settings({"ERP_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://x/y",
                       "ERP_SECRET_KEY": "k" * 50, "ERP_TIMEZONE": "Asia/Yekaterinburg",
                       "ERP_PORT": "9000", "ERP_HOST": "0.0.0.0"})
    assert s.database_url == "postgresql://x/y"
    assert s.secret_key == "k" * 50
    assert s.tz.key == "Asia/Yekaterinburg"
    assert (s.host, s.port) == ("0.0.0.0", 9000)
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(("name", "value", "text"), [
    ("ERP_TIMEZONE", "Mars/Olympus", "часовой пояс"),
    ("ERP_PORT", "eighty", "целым числом"),
    ("ERP_SLOT_STEP_MINUTES", "7", "делить час"),
])
def test_bad_values_are_explained(tmp_path, name, value, text):
    with pytest.raises(SettingsError, match=text):
        load_settings({"ERP_DATA_DIR": str(tmp_path), name: value})
