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
