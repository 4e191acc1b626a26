"""Server CPU time per interaction, page by page, read from the server process's own CPU counters
(not the browser's): a warm server, one browser; for each page, N fresh sessions open it and change
its first number input once. Reported: CPU seconds per page open and per widget change.

    python -m benchmarks.server_cpu [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json

from benchmarks.appserver import CHROMIUM_ARGS, PIDS, app_server, chromium_path, cpu_seconds

TIMEOUT = 300_000


async def _idle(pg) -> None:
    await pg.wait_for_timeout(300)
    await pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)
    await pg.wait_for_timeout(300)


async def _pages(pg, url: str) -> list[tuple[str, str]]:
    await pg.goto(url)
    await pg.wait_for_selector('[data-testid="stSidebarNav"]', timeout=TIMEOUT)
    links = await pg.eval_on_selector_all('[data-testid="stSidebarNav"] a', "els => els.map(e => [e.innerText, e.href])")
    return [(t.strip().splitlines()[-1].strip(), h) for t, h in links]  # innerText starts with the icon's ligature name


async def _measure(url: str, repeats: int) -> dict:
    from playwright.async_api import async_playwright

    pid = PIDS[url]
    out = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        pg = await browser.new_page(viewport={"width": 1300, "height": 900})
        pages = await _pages(pg, url)
        for _, href in pages:  # warm every page once (models loaded, caches filled), as a running server would be
            await pg.goto(href)
            await _idle(pg)
        await pg.close()
        for title, href in pages:
            opens, changes = [], []
            for _ in range(repeats):
                ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
                pg = await ctx.new_page()
                pg.set_default_timeout(TIMEOUT)
                c0 = cpu_seconds(pid)
                await pg.goto(href)
                await _idle(pg)
                opens.append(cpu_seconds(pid) - c0)
                box = pg.locator('[data-testid="stNumberInput"] input:visible').first  # in the open tab
                if await box.count():
                    v = await box.input_value()
                    c0 = cpu_seconds(pid)
                    await box.fill(str(float(v or 0) + 1))
                    await box.press("Enter")
                    await _idle(pg)
                    changes.append(cpu_seconds(pid) - c0)
                await ctx.close()
            out[title] = {"open_cpu_seconds": sorted(opens)[len(opens) // 2],
                          "change_cpu_seconds": sorted(changes)[len(changes) // 2] if changes else None}
        await browser.close()
    return out


def run(repeats: int = 3) -> dict:
    with app_server() as url:
        return asyncio.run(_measure(url, repeats))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    r = run(a.repeats)
    if a.json:
        print(json.dumps(r))
        return
    for page, v in r.items():
        ch = f"{v['change_cpu_seconds']:.2f} s" if v["change_cpu_seconds"] is not None else "—"
        print(f"{page:<20} open {v['open_cpu_seconds']:.2f} s CPU · one input change {ch} CPU (median of {a.repeats})")


if __name__ == "__main__":
    main()
