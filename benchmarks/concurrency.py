"""Concurrency benchmark: N browser sessions use the app at once for a bounded time while one of them
retrains a model; reports p50/p95 interaction latency and checks isolation.

Each session, in its own browser context (its own Streamlit session), repeats two interactions:
* opens the fraud page with its own cost per alert in the URL and waits for the KPIs — the page
  must show *its* value, not another session's;
* assesses a patient on the triage page with its own age and waits for the suggested level — the
  form must still hold *its* age.
Session 0 first clicks Retrain on the triage page (shared model; a temporary copy of the store).

``--watchers N`` measures something else: how long the quick triage retrain takes while N other sessions sit on the
triage page (each shows the shared job's live progress), against the same retrain with nobody watching, on a fresh
server each, in the same run. Every session that shows a running job polls it; until 2026-12-02 each poll rebuilt the
chart and Streamlit collected all garbage after it, which starved the training thread (README, Concurrency).

    python -m benchmarks.concurrency [--sessions 10] [--seconds 60] [--json]
    python -m benchmarks.concurrency --watchers 9
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from playwright.async_api import expect

from benchmarks.appserver import CHROMIUM_ARGS, PIDS, app_server, chromium_path, peak_memory_mb, server_stacks

TIMEOUT = 300_000
STALL_SECONDS = 150.0  # no session finished an interaction for this long: the server's thread stacks are recorded


async def _idle(pg) -> None:
    await pg.wait_for_timeout(200)
    await pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)


async def _session(browser, url: str, i: int, deadline: float, out: dict, retrain: bool) -> None:
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    pg = await ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    lat, errors, isolation = [], [], []
    try:
        if retrain:
            await pg.goto(f"{url}/medical-triage")
            await pg.get_by_role("tab", name="Model").click()
            await pg.get_by_role("button", name="Retrain").click()
            await pg.get_by_text("Training the medical triage model").first.wait_for(timeout=TIMEOUT)
            out["retrain_started"] = time.time()
        cost = 5.0 + i
        age = 20 + i
        while True:  # every session gets at least one round, however long the retrain took to start
            t = time.perf_counter()
            await pg.goto(f"{url}/fraud-detection?fraud.a.cost_per_alert={cost}")
            await pg.get_by_text("Frauds caught").first.wait_for()
            await _idle(pg)
            lat.append(time.perf_counter() - t)
            out["last_answer"] = time.time()
            await pg.get_by_role("tab", name="Business case").click()
            box = pg.locator('input[aria-label="Every alert: investigation cost (€)"]')
            try:  # a tab's first paint can take tens of seconds when ten browsers share two cores
                await expect(box).to_have_value(f"{cost:.2f}", timeout=90_000)
            except AssertionError:
                isolation.append(f"session {i} saw cost {await box.input_value()}, set {cost:.2f}")
            if await pg.locator('[data-testid="stException"]').count():
                errors.append(f"session {i}: exception on fraud page")
            if time.time() >= deadline:
                break
            t = time.perf_counter()
            await pg.goto(f"{url}/medical-triage")
            age_box = pg.locator('input[aria-label="Age (years, 0–120)"]')
            await age_box.fill(str(age))
            await pg.get_by_role("button", name="Assess").click()
            await _idle(pg)
            await pg.get_by_text("Suggested level", exact=True).wait_for()
            lat.append(time.perf_counter() - t)
            out["last_answer"] = time.time()
            shown_age = await age_box.input_value()
            if float(shown_age) != float(age):
                isolation.append(f"session {i} saw age {shown_age}, entered {age}")
            if await pg.locator('[data-testid="stException"]').count():
                errors.append(f"session {i}: exception on triage page")
            if time.time() >= deadline:
                break
        if retrain:  # wait for the retrain to finish and be swapped in
            await pg.goto(f"{url}/medical-triage")
            await pg.get_by_role("tab", name="Model").click()
            await pg.get_by_text("medical triage model: done", exact=False).first.wait_for(timeout=TIMEOUT)
            out["retrain_seconds"] = time.time() - out["retrain_started"]
    except Exception as exc:  # a timeout or crash counts as an error of this session
        errors.append(f"session {i}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        out["latencies"].extend(lat)
        out["errors"].extend(errors)
        out["isolation"].extend(isolation)
        out["per_session"][i] = len(lat)
        await ctx.close()


async def _warm(browser, url: str) -> None:
    """Open Home once and wait for it: the caches warm, as on a running server."""
    warm = await browser.new_page()
    await warm.goto(url)
    await warm.get_by_text("Compute cost per 1 million").first.wait_for(timeout=TIMEOUT)
    await warm.close()


async def _watch(url: str, out: dict) -> None:
    """Once no session has had an answer for STALL_SECONDS, record where the server's threads stand (once)."""
    while True:
        await asyncio.sleep(5)
        if time.time() - out["last_answer"] > STALL_SECONDS:
            stalled = time.time() - out["last_answer"]
            stacks = await asyncio.to_thread(server_stacks, url)
            out["stall"] = {"seconds_without_an_answer": round(stalled), "server_stacks": stacks}
            return


async def _run(url: str, sessions: int, seconds: float) -> dict:
    from playwright.async_api import async_playwright

    out = {"latencies": [], "errors": [], "isolation": [], "per_session": {}, "last_answer": time.time()}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        await _warm(browser, url)
        deadline = time.time() + seconds
        out["last_answer"] = time.time()
        watch = asyncio.create_task(_watch(url, out))
        await asyncio.gather(*(_session(browser, url, i, deadline, out, retrain=(i == 0)) for i in range(sessions)))
        watch.cancel()
        await browser.close()
    lat = sorted(out["latencies"])
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")  # noqa: E731
    return {
        "sessions": sessions, "seconds": seconds, "interactions": len(lat),
        "p50_seconds": statistics.median(lat) if lat else float("nan"), "p95_seconds": q(0.95), "max_seconds": lat[-1] if lat else float("nan"),
        "per_session": out["per_session"], "errors": out["errors"], "isolation_failures": out["isolation"],
        "retrain_seconds": out.get("retrain_seconds"),
        "stall": out.get("stall"),  # None, or how long no session had an answer and the server's thread stacks then
    }


async def _retrain_watched(url: str, watchers: int) -> float:
    """Seconds the quick triage retrain took (the job's own clock, as the page reports it) with ``watchers`` sessions on the page."""
    import re

    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        await _warm(browser, url)
        pages = []
        for _ in range(watchers + 1):
            ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
            pg = await ctx.new_page()
            pg.set_default_timeout(TIMEOUT)
            pages.append(pg)
        await pages[0].goto(f"{url}/medical-triage")
        await pages[0].get_by_role("tab", name="Model").click()
        await pages[0].get_by_role("button", name="Retrain").click()
        await pages[0].get_by_text("Training the medical triage model").first.wait_for()
        # The others open the page while it trains: a page polls a job that was running when the page last ran.
        await asyncio.gather(*(pg.goto(f"{url}/medical-triage") for pg in pages[1:]))
        done = pages[0].get_by_text(re.compile(r"medical triage model: done after \d+ s"))
        await done.first.wait_for(timeout=TIMEOUT)
        seconds = float(re.search(r"done after (\d+) s", await done.first.inner_text()).group(1))
        await browser.close()
    return seconds


def watched(watchers: int) -> dict:
    """The quick triage retrain alone and with ``watchers`` sessions on its page, each on a fresh server."""
    out = {"watchers": watchers}
    for label, n in (("alone_seconds", 0), ("watched_seconds", watchers)):
        with app_server(env_extra={"UCLAB_RETRAIN_CONFIG": "quick"}) as url:
            out[label] = asyncio.run(_retrain_watched(url, n))
    out["ratio"] = out["watched_seconds"] / max(out["alone_seconds"], 1.0)
    return out


def run(sessions: int = 10, seconds: float = 60.0, quick_retrain: bool = False) -> dict:
    """``quick_retrain``: the retrain uses the quick configuration (the test: it must finish while ten browsers share 2 cores)."""
    with app_server(env_extra={"UCLAB_RETRAIN_CONFIG": "quick"} if quick_retrain else None) as url:
        r = asyncio.run(_run(url, sessions, seconds))
        r["server_peak_memory_mb"] = peak_memory_mb(PIDS[url])  # Streamlit's collection after every run is off (.streamlit/config.toml)
        return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--watchers", type=int, default=0, help="instead: the quick triage retrain alone and with this many sessions on its page")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if chromium_path() is None:
        raise SystemExit("error: Chromium is not installed (apt-get install chromium)")
    if a.watchers:
        w = watched(a.watchers)
        print(json.dumps(w) if a.json else f"quick triage retrain: {w['alone_seconds']:.0f} s alone, {w['watched_seconds']:.0f} s with "
                                          f"{w['watchers']} sessions on its page ({w['ratio']:.1f}×)")
        return
    r = run(a.sessions, a.seconds)
    if a.json:
        print(json.dumps(r))
    else:
        print(f"{r['sessions']} sessions × {r['seconds']:.0f} s: {r['interactions']} interactions, p50 {r['p50_seconds']:.2f} s, "
              f"p95 {r['p95_seconds']:.2f} s, max {r['max_seconds']:.2f} s; errors {len(r['errors'])}, isolation failures "
              f"{len(r['isolation_failures'])}; retrain finished in {r['retrain_seconds'] or float('nan'):.0f} s; server peak memory "
              f"{r['server_peak_memory_mb'] or float('nan'):,.0f} MiB")


if __name__ == "__main__":
    main()
