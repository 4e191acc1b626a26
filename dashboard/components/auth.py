"""Optional portal login through Streamlit's built-in OIDC support (``st.login`` / ``st.user``).

Enabled when ``.streamlit/secrets.toml`` has an ``[auth]`` section (see ``secrets.example.toml``);
then every page requires a signed-in user. Without it the app runs open, for local demos.
"""

from __future__ import annotations

import streamlit as st


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: st.secrets raises on access
        return False


def gate() -> None:
    """Stop the run with a sign-in screen unless login is off or the user is signed in."""
    if not auth_configured():
        return
    if not st.user.is_logged_in:
        st.title(":material/lock: AI Use-Case Lab")
        st.write("This internal portal requires you to sign in with your organisation account.")
        providers = [k for k, v in st.secrets["auth"].items() if isinstance(v, dict)] if hasattr(st.secrets["auth"], "items") else []
        if providers:
            for p in providers:
                st.button(f"Sign in with {p}", on_click=st.login, args=(p,), key=f"login-{p}", type="primary")
        else:
            st.button("Sign in", on_click=st.login, key="login", type="primary")
        st.stop()


def sidebar_badge() -> None:
    with st.sidebar:
        if auth_configured():
            who = st.user.get("name") or st.user.get("email") or "signed in"
            st.caption(f":material/person: Signed in as **{who}**")
            st.button("Sign out", on_click=st.logout, key="logout")
        else:
            st.caption(":material/lock_open: Open access — no login configured (local demo mode). "
                       "Add an [auth] section to .streamlit/secrets.toml to require sign-in.")


def _portal() -> dict:
    try:
        return dict(st.secrets.get("portal", {}))
    except Exception:  # no secrets file
        return {}


def can_retrain_shared() -> tuple[bool, str]:
    """Whether this visitor may retrain the shared models, and why not.

    Login on: the signed-in user's e-mail must be in ``[portal] retrain_emails`` or one of the ID token's
    ``roles``/``groups`` claims in ``retrain_roles`` (nothing listed: nobody). Login off: allowed unless
    ``[portal] allow_open_retrain = false`` or the environment variable ``UCLAB_SHARED_RETRAIN=off``.
    """
    import os

    if os.environ.get("UCLAB_SHARED_RETRAIN", "").strip().lower() in ("off", "0", "false", "no"):
        return False, "Retraining the shared models is switched off on this server (UCLAB_SHARED_RETRAIN=off)."
    portal = _portal()
    if not auth_configured():
        if portal.get("allow_open_retrain", True) is False:
            return False, "Retraining the shared models is switched off on this server ([portal] allow_open_retrain = false)."
        return True, ""
    email = str(st.user.get("email") or "").lower()
    claims = []
    for key in ("roles", "groups"):
        v = st.user.get(key)
        claims += [str(x) for x in (v if isinstance(v, (list, tuple)) else [v] if v else [])]
    if email and email in {str(e).lower() for e in portal.get("retrain_emails", [])}:
        return True, ""
    if set(claims) & {str(r) for r in portal.get("retrain_roles", [])}:
        return True, ""
    return False, ("Only members of an allow-listed role may retrain the shared models (ask your administrator: "
                   "[portal] retrain_roles / retrain_emails in secrets.toml). Your own data can still be trained in your session.")
