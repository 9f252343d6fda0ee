"""Which Google account and project to use, found the way gcloud users expect.

Order for the project: ``CLOUDSDK_CORE_PROJECT``, then the active gcloud configuration
(read from its INI files: running gcloud would be slow and may prompt), then the
project of Application Default Credentials. The result says which source won, so the
wizard can tell the user *why* it picked a project.

Every function takes the run's environment snapshot (``ctx.options["env"]``) instead of
reading ``os.environ``, so a run (and a test) sees one consistent environment. Nothing
here ever probes the metadata server when ``NO_GCE_CHECK=true`` or credentials are
disabled (``CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true``, the emulator's setting).
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kfwizard.engine.errors import StepFailed

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
ADC_FILE_NAME = "application_default_credentials.json"
LOGIN_ACTION = 'run "gcloud auth application-default login"'
GCLOUD_INSTALL_URL = "https://cloud.google.com/sdk/docs/install"


def login_action(env: Mapping[str, str] | None = None) -> str:
    """How to sign in: gcloud's login command, and first installing gcloud where it is
    missing (kfwizard itself talks to Google without gcloud, but signing in needs it)."""
    search = _env(env).get("PATH")
    if shutil.which("gcloud", path=search if search is not None else os.defpath):
        return LOGIN_ACTION
    return (
        f"install the Google Cloud CLI ({GCLOUD_INSTALL_URL}), then {LOGIN_ACTION}; to try "
        'kfwizard without an account meanwhile, run "kfwizard --demo"'
    )


@dataclass(frozen=True)
class DetectedProject:
    """The project (or None), the source that gave it, and the account if known."""

    project: str | None
    source: str
    account: str | None = None


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def credentials_disabled(env: Mapping[str, str] | None = None) -> bool:
    """gcloud's switch for "send no credentials"; the emulators run this way."""
    return _true(_env(env).get("CLOUDSDK_AUTH_DISABLE_CREDENTIALS"))


def gcloud_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$CLOUDSDK_CONFIG`` or ``~/.config/gcloud`` (``~`` from the env's HOME)."""
    env = _env(env)
    if env.get("CLOUDSDK_CONFIG"):
        return Path(env["CLOUDSDK_CONFIG"]).expanduser()
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".config" / "gcloud"


def active_configuration(env: Mapping[str, str] | None = None) -> str:
    """The active gcloud configuration's name, as gcloud resolves it."""
    env = _env(env)
    name = (env.get("CLOUDSDK_ACTIVE_CONFIG_NAME") or "").strip()
    if name:
        return name
    try:
        name = (gcloud_config_dir(env) / "active_config").read_text(encoding="utf-8").strip()
    except OSError:
        name = ""
    return name or "default"


def configuration_file(env: Mapping[str, str] | None = None) -> Path:
    return gcloud_config_dir(env) / "configurations" / f"config_{active_configuration(env)}"


def read_gcloud_properties(env: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """The active configuration's properties by section; empty when there is none.

    A broken file counts as empty: gcloud would complain, but the wizard can still ask.
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(configuration_file(env).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return {}
    return {section: dict(parser.items(section)) for section in parser.sections()}


def adc_file(env: Mapping[str, str] | None = None) -> Path | None:
    """The ADC file ``google.auth`` would read: ``GOOGLE_APPLICATION_CREDENTIALS`` or the
    well-known file gcloud writes; None when neither exists."""
    env = _env(env)
    explicit = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return Path(explicit).expanduser()
    well_known = gcloud_config_dir(env) / ADC_FILE_NAME
    return well_known if well_known.is_file() else None


def _adc_info(env: Mapping[str, str]) -> dict[str, Any]:
    path = adc_file(env)
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _adc_project(env: Mapping[str, str], ask_google: bool = True) -> str | None:
    """ADC's project from the file's own fields; ``google.auth.default()`` only as the
    last resort (it can reach the metadata server), never when it must not probe."""
    info = _adc_info(env)
    project = info.get("quota_project_id") or info.get("project_id")
    if project:
        return str(project)
    if not ask_google or not google_may_know(env, info):
        return None
    try:
        import google.auth
        import google.auth.exceptions

        _, project = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    except Exception:  # no ADC at all is a normal answer here, not an error
        return None
    return project or None


def google_may_know(
    env: Mapping[str, str] | None = None, info: Mapping[str, Any] | None = None
) -> bool:
    """Whether the last resort, ``google.auth.default()``, would be asked: there is no
    ADC file to read, and nothing says not to probe (credentials disabled,
    ``NO_GCE_CHECK``). It is slow: it imports google.auth and requests (about 250 ms
    of CPU) and probes the metadata server, which is there only on Google Cloud."""
    env = _env(env)
    if info is None:
        info = _adc_info(env)
    return not (info or credentials_disabled(env) or _true(env.get("NO_GCE_CHECK")))


def detect_project(
    env: Mapping[str, str] | None = None, *, ask_google: bool = True
) -> DetectedProject:
    """Project and account as a gcloud user would expect, with the winning source.

    ``ask_google=False`` reads only the environment and files (a few milliseconds): the
    answer is final unless it has no project and :func:`google_may_know`.
    """
    env = _env(env)
    props = read_gcloud_properties(env)
    core = props.get("core", {})
    info = _adc_info(env)
    account = (
        env.get("CLOUDSDK_CORE_ACCOUNT")
        or core.get("account")
        or info.get("client_email")
        or info.get("account")
        or None
    )
    if env.get("CLOUDSDK_CORE_PROJECT"):
        return DetectedProject(
            env["CLOUDSDK_CORE_PROJECT"].strip(), "CLOUDSDK_CORE_PROJECT", account
        )
    if core.get("project"):
        name = active_configuration(env)
        return DetectedProject(core["project"].strip(), f"gcloud configuration '{name}'", account)
    project = _adc_project(env, ask_google)
    if project:
        return DetectedProject(project, "application default credentials", account)
    return DetectedProject(None, "none", account)


def load_credentials(env: Mapping[str, str] | None = None) -> Any:
    """Credentials for the Google clients: anonymous when disabled, else ADC.

    Raises :class:`StepFailed` with the login command when there are none.
    """
    env = _env(env)
    from google.auth import credentials as ga_credentials

    if credentials_disabled(env):
        return ga_credentials.AnonymousCredentials()
    import google.auth
    import google.auth.exceptions

    path = adc_file(env)
    try:
        if path is not None:
            if not path.is_file():
                raise StepFailed(
                    f"The credentials file {path} (GOOGLE_APPLICATION_CREDENTIALS) does not exist.",
                    "point GOOGLE_APPLICATION_CREDENTIALS at a key file, or unset it and "
                    f"{login_action(env)}",
                )
            return _credentials_from_file(path)
        if _true(env.get("NO_GCE_CHECK")):
            raise google.auth.exceptions.DefaultCredentialsError("no ADC file")
        creds, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        return creds
    except google.auth.exceptions.DefaultCredentialsError as exc:
        where = f" ({path}: {exc})" if path is not None else ""
        raise StepFailed(f"No Google credentials found{where}.", login_action(env)) from exc


def _credentials_from_file(path: Path) -> Any:
    """Load an ADC file with the loader for its type (the generic loader is deprecated
    because it accepts any type; here the two types gcloud writes are loaded directly)."""
    import warnings

    import google.auth
    import google.auth.exceptions

    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise google.auth.exceptions.DefaultCredentialsError(f"unreadable: {exc}") from exc
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "authorized_user":
            from google.oauth2 import credentials as user_credentials

            return user_credentials.Credentials.from_authorized_user_info(
                info, scopes=[CLOUD_PLATFORM_SCOPE]
            )
        if kind == "service_account":
            from google.oauth2 import service_account

            return service_account.Credentials.from_service_account_info(
                info, scopes=[CLOUD_PLATFORM_SCOPE]
            )
    except (ValueError, KeyError) as exc:
        raise google.auth.exceptions.DefaultCredentialsError(f"invalid {kind} file: {exc}") from exc
    with warnings.catch_warnings():  # other types (external account...) need the generic loader
        warnings.simplefilter("ignore", DeprecationWarning)
        creds, _ = google.auth.load_credentials_from_file(str(path), scopes=[CLOUD_PLATFORM_SCOPE])
    return creds


def is_anonymous(creds: Any) -> bool:
    from google.auth import credentials as ga_credentials

    return isinstance(creds, ga_credentials.AnonymousCredentials)


def bearer_token(creds: Any) -> str | None:
    """An access token for the Kubernetes API (refreshed when stale); None if anonymous."""
    if creds is None or is_anonymous(creds):
        return None
    if not getattr(creds, "valid", False) or not getattr(creds, "token", None):
        import google.auth.exceptions
        import google.auth.transport.requests

        try:
            creds.refresh(google.auth.transport.requests.Request())
        except google.auth.exceptions.GoogleAuthError as exc:
            raise StepFailed(
                f"Your Google credentials could not be refreshed: {exc}",
                LOGIN_ACTION,
            ) from exc
    return creds.token
