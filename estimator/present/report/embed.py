"""How the report carries plotly: each chart as an empty div plus its figure as JSON, and one loader at the end of
the page that draws them all.

"inline" (the default) embeds plotly.js once, gzip-compressed and base64-encoded (about 2.0 MB instead of 4.8 MB for
plotly.js 4.1): the browser unpacks it with its built-in DecompressionStream (Chrome/Edge 80+, Safari 16.4+, Firefox
113+), so the file still opens offline as a single file. "cdn" loads plotly.js from the plotly CDN (a small file that
needs the network to draw its charts). The figure JSON comes from plotly's own encoder, which writes '<' as \\u003c:
nothing inside a <script> can close it.
"""

from __future__ import annotations

import base64
import gzip
from functools import cache
from typing import Any

from markupsafe import Markup, escape

CONFIG = {"displaylogo": False, "responsive": True}

LOADER = """<script>
(async () => {
  const charts = Array.from(document.querySelectorAll('script.plotly-figure'));
  const packed = document.getElementById('plotly-js-gzip');
  try {
    if (!window.Plotly && packed) {
      const bytes = Uint8Array.from(atob(packed.textContent.trim()), c => c.charCodeAt(0));
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      const code = await new Response(stream).text();
      const s = document.createElement('script');
      s.textContent = code;
      document.head.appendChild(s);
    }
    for (const c of charts) {
      const fig = JSON.parse(c.textContent);
      await Plotly.newPlot(document.getElementById(c.dataset.div), fig.data, fig.layout, fig.config);
    }
  } catch (err) {
    for (const c of charts) {
      document.getElementById(c.dataset.div).textContent = 'This browser could not draw the chart (' + err +
        '): open the report in a current Chrome, Edge, Firefox or Safari, or write it with --plotlyjs cdn.';
    }
  }
})();
</script>"""


@cache
def packed_plotlyjs() -> str:
    """plotly.js, gzip-compressed (deterministic: no timestamp) and base64-encoded."""
    from plotly.offline import get_plotlyjs

    return base64.b64encode(gzip.compress(get_plotlyjs().encode("utf-8"), 9, mtime=0)).decode("ascii")


def figure_html(div_id: str, fig: Any) -> Markup:
    """An empty chart div and its figure (data, layout, config) as JSON, for the loader to draw."""
    from plotly.io.json import to_json_plotly

    spec = fig.to_plotly_json()
    data = to_json_plotly({"data": spec.get("data", []), "layout": spec.get("layout", {}), "config": CONFIG})
    height = fig.layout.height or 450
    div = escape(div_id)
    return Markup(f'<div style="height:{int(height)}px; width:100%;"><div id="{div}" class="plotly-graph-div" '
                  f'style="height:100%; width:100%;"></div></div>\n'
                  f'<script type="application/json" class="plotly-figure" data-div="{div}">{data}</script>')


def loader_html(plotlyjs: str) -> Markup:
    """plotly.js (packed inline, or the CDN's script tag) and the loader that draws every chart."""
    if plotlyjs == "cdn":
        from plotly.io._utils import plotly_cdn_url

        head = f'<script charset="utf-8" src="{escape(plotly_cdn_url())}"></script>'
    else:
        head = f'<script id="plotly-js-gzip" type="application/octet-stream">{packed_plotlyjs()}</script>'
    return Markup(head + "\n" + LOADER)
