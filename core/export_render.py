"""Chart images for reports: the annotated figure, and the system Chromium that draws it.

kaleido 1.x draws plotly figures in a headless Chromium driven through choreographer. Two of its
defaults do not fit an intranet (SPEC §9): it looks for a Chrome it downloaded itself, and its
page loads MathJax from a CDN. Here the browser is always the system's (BROWSER_PATH, else
chromium / chromium-browser / google-chrome on PATH, passed to kaleido explicitly) and MathJax
is off; plotly.js comes from the installed plotly package.

Starting Chromium takes about 1.5 s, drawing one figure about 0.15 s, so one browser is kept
warm for the whole process. kaleido's own `start_sync_server` is not used: it cannot tell
concurrent callers' results apart (one shared result queue) and hangs forever once its browser
has died. Instead `ChromiumRenderer` runs kaleido on its own event-loop thread, hands every
caller its own future, and starts a fresh browser when the old one has gone away.

Chromium runs as root in our containers; choreographer passes --headless, --disable-gpu and
--no-sandbox by default (sandbox and GPU are opt-in there), which is what that needs.
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import html
import logging
import os
import shutil
import threading

import plotly.graph_objects as go

from core.export_meta import ExportMeta, footer_text, subtitle_text, title_text

log = logging.getLogger(__name__)

# Chinese first, in the names Linux (fontconfig), Google Fonts and Windows know them by.
CJK_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INK, MUTED, GRID = "#1f2329", "#5f6b7a", "#e3e6ea"
_TITLE_BAND = 96  # px above the plot for the title and subtitle
_FOOTER_BAND = 34  # px below the plot (and its axis labels) for the footer
_MIN_AXIS_BAND = 80  # px kept for tick labels and axis titles above the footer
START_TIMEOUT = 60.0  # s to start Chromium and load plotly.js
RENDER_TIMEOUT = 60.0  # s for one figure


class ExportError(RuntimeError):
    """An export could not be produced."""


class ExportUnavailable(ExportError):
    """Images cannot be drawn on this machine (no usable browser). CSV and XLSX still work."""

    def __init__(self, detail: str = ""):
        message = ("图片导出不可用：未找到可用的 Chromium 浏览器（请安装 chromium 或设置 BROWSER_PATH），"
                   "CSV/XLSX 导出不受影响 · Image export unavailable: no usable Chromium browser "
                   "(install chromium or set BROWSER_PATH); CSV/XLSX export still works")
        super().__init__(f"{message} ({detail})" if detail else message)


# -- the figure as printed -----------------------------------------------------------------------
def _plain(text: str) -> str:
    """plotly reads a little HTML in its texts (<a href>, <b>); names from the data must stay text."""
    return html.escape(text, quote=False)


def annotate_figure(fig, meta: ExportMeta) -> go.Figure:
    """A print-ready copy of `fig` (a graph object or a components.plot figure): title (panel ·
    region), subtitle (range · filters), footer (source · generated), white background, CJK fonts.
    The original figure is left untouched. Built as a graph object, so plotly validates the
    figure here (a cockpit's figures are plain JSON, not validated as they are built)."""
    out = go.Figure(fig if isinstance(fig, go.Figure) else fig.to_plotly_json())
    margin = out.layout.margin
    bottom = max(margin.b or 0, _MIN_AXIS_BAND) + _FOOTER_BAND
    # The print template replaces the screen's; series keep the colours they had on screen.
    screen = out.layout.template.layout
    out.update_layout(colorway=out.layout.colorway or screen.colorway,
                      colorscale=out.layout.colorscale.to_plotly_json() or screen.colorscale)
    out.update_layout(
        template="plotly_white",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=dict(family=CJK_FONT_FAMILY, color=INK, size=14),
        title=dict(
            text=f"<b>{_plain(title_text(meta))}</b>",
            subtitle=dict(text=_plain(subtitle_text(meta)), font=dict(size=14, color=MUTED)),
            font=dict(size=22, color=INK),
            x=0, xref="paper", xanchor="left",
            y=1, yref="container", yanchor="top", pad=dict(t=18),
        ),
        margin=dict(t=max(margin.t or 0, _TITLE_BAND), b=bottom,
                    l=max(margin.l or 0, 60), r=max(margin.r or 0, 40)),
        # A legend above or below the plot would push the plot and, with it, the footer; on
        # the right it only narrows the plot. (Whether it shows at all stays as on screen.)
        legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top", xref="paper",
                    yref="paper", bgcolor="rgba(255,255,255,0)", font=dict(color=INK)),
    )
    # A screen theme may have set light-on-dark axis colours explicitly; those survive a template.
    axis_style = dict(gridcolor=GRID, linecolor="#b8bec6", zerolinecolor="#c9ced4",
                      tickfont=dict(color=INK), title=dict(font=dict(color=INK)))
    out.update_xaxes(**axis_style)
    out.update_yaxes(**axis_style)
    # Annotations can only be placed relative to the plot area, so the footer is shifted down
    # from the plot's bottom edge into the band reserved for it at the bottom of the image
    # (it stays there unless tick labels need more than _MIN_AXIS_BAND).
    out.add_annotation(
        text=_plain(footer_text(meta)), showarrow=False,
        xref="paper", x=0, xanchor="left", yref="paper", y=0, yanchor="bottom",
        yshift=-(bottom - 10), font=dict(size=12, color=MUTED), align="left",
    )
    return out


# -- the browser ---------------------------------------------------------------------------------
def find_browser() -> str | None:
    """The system Chromium: BROWSER_PATH when set (and then only it), else the first on PATH."""
    configured = os.environ.get("BROWSER_PATH", "").strip()
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    for name in BROWSER_NAMES:
        if path := shutil.which(name):
            return path
    return None


class _BrowserSession:
    """One Chromium with a kaleido tab, driven from a private event-loop thread."""

    def __init__(self, browser_path: str):
        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="export-chromium",
                                         daemon=True)
        self._thread.start()
        try:
            self._kaleido = self._call(self._open(browser_path), START_TIMEOUT)
        except BaseException:
            self._stop_loop()
            raise

    @staticmethod
    async def _open(browser_path: str):
        import kaleido  # imports choreographer; only needed once images are asked for

        # mathjax=False: its default is a CDN URL, and no export may reach an outside host.
        browser = kaleido.Kaleido(path=browser_path, mathjax=False, timeout=RENDER_TIMEOUT)
        await browser.open()
        return browser

    def _call(self, coroutine, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def alive(self) -> bool:
        return self._thread.is_alive() and self._kaleido.subprocess.poll() is None

    def render(self, figure: dict, opts: dict) -> bytes:
        # kaleido times a render out itself; the extra seconds only guard against a stuck loop.
        return self._call(self._kaleido.calc_fig(figure, opts=opts), RENDER_TIMEOUT + 5)

    def close(self) -> None:
        try:
            self._call(self._kaleido.close(), 15)
        except Exception:  # a dead or hung browser: it is being discarded either way
            log.warning("export browser did not close cleanly", exc_info=True)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class ChromiumRenderer:
    """Renders figures to PNG/SVG with one warm browser per process. Thread-safe.

    The browser starts on first use (or `warm_up`), is restarted when it has died, and is not
    inherited across fork (a forked worker starts its own).
    """

    def __init__(self, browser_path: str | None = None):
        self._browser_path = browser_path  # None: find_browser() at each (re)start
        self._lock = threading.Lock()
        self._session: _BrowserSession | None = None

    def available(self) -> bool:
        with self._lock:
            if self._live_session() is not None:
                return True
        return self._resolve_path() is not None

    def warm_up(self) -> None:
        """Start the browser now, so the first export does not pay for it."""
        self._session_or_start()

    def render(self, figure: go.Figure, fmt: str, width: int, height: int, scale: float) -> bytes:
        from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError

        spec = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure
        opts = dict(format=fmt, width=width, height=height, scale=scale)
        for attempt in (1, 2):
            session = self._session_or_start()
            try:
                return session.render(spec, opts)
            except (BrowserClosedError, BrowserFailedError, ChannelClosedError) as exc:
                # The browser died under us (crash, OOM kill): start a new one and try once more.
                self._discard(session)
                if attempt == 2:
                    raise ExportUnavailable(f"browser closed: {exc}") from exc
            except (TimeoutError, concurrent.futures.TimeoutError) as exc:
                self._discard(session)  # a hung tab would block every later export
                raise ExportError("图片渲染超时 · image rendering timed out") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None and session.pid == os.getpid():
            session.close()

    # -- internals ---------------------------------------------------------------------------
    def _resolve_path(self) -> str | None:
        if self._browser_path is None:
            return find_browser()
        path = self._browser_path
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None

    def _live_session(self) -> _BrowserSession | None:
        session = self._session
        if session is None:
            return None
        if session.pid != os.getpid():
            # Inherited through fork: its loop thread does not exist here and the browser
            # belongs to the parent, so forget it without touching it.
            self._session = None
            return None
        if not session.alive():
            self._session = None
            session.close()
            return None
        return session

    def _session_or_start(self) -> _BrowserSession:
        with self._lock:
            session = self._live_session()
            if session is not None:
                return session
            path = self._resolve_path()
            if path is None:
                configured = self._browser_path or os.environ.get("BROWSER_PATH", "")
                raise ExportUnavailable(f"BROWSER_PATH={configured}" if configured else "")
            try:
                self._session = _BrowserSession(path)
            except Exception as exc:
                raise ExportUnavailable(f"{path}: {exc}") from exc
            log.info("export browser started: %s", path)
            return self._session

    def _discard(self, session: _BrowserSession) -> None:
        with self._lock:
            if self._session is session:
                self._session = None
        session.close()


_renderer = ChromiumRenderer()
atexit.register(_renderer.close)


def renderer_available() -> bool:
    """Whether PNG/SVG export can work here (a browser is running or can be found)."""
    return _renderer.available()


def warm_up_renderer() -> None:
    """Start the shared browser ahead of the first export (e.g. in a background thread at start-up)."""
    _renderer.warm_up()


def render_figure(fig: go.Figure, fmt: str, width: int, height: int, scale: float) -> bytes:
    """Draw an (already annotated) figure with the shared browser."""
    return _renderer.render(fig, fmt, width, height, scale)


def to_png(fig: go.Figure, meta: ExportMeta, width: int = 1600, height: int = 900,
           scale: float = 2) -> bytes:
    """The annotated figure as PNG; the defaults give 3200×1800 px, print resolution."""
    return render_figure(annotate_figure(fig, meta), "png", width, height, scale)


def to_svg(fig: go.Figure, meta: ExportMeta, width: int = 1600, height: int = 900) -> bytes:
    """The annotated figure as SVG (text stays text: viewers draw it with their CJK fonts)."""
    return render_figure(annotate_figure(fig, meta), "svg", width, height, 1)
